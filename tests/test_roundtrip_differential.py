"""What pykorm writes is what the official client reads, and back, for every kind of field and value.

A CRD model with every field kind pykorm offers (str, int, float, bool, datetime, Enum, Literal,
int | str, dict[str, str], a free-form dict, lists of scalars, of datetimes, of enums, dict of
datetimes, a nested object, a list of nested objects, optional fields, defaults, a label and an
annotation field, status). For each seeded random example (edges included: empty, unicode, control
characters and long strings, 0, negatives, 2**53+1, 2**63-1, 1e-300, -0.0, None versus absent,
empty lists and dicts, naive and aware datetimes, microseconds):

(a) pykorm creates it: the official client reads exactly the JSON a reference encoder written here
    from the documentation expects;
(b) the official client writes one (in the forms other writers use: offsets, three-digit fractions,
    an int for a float): every pykorm attribute reads the expected Python value, ``to_dict()`` is the
    JSON, and a lookup on each value finds the object;
(c) pykorm changes one field with ``save``, ``update``, ``apply`` or a bulk ``query.update`` while the
    official client (another field manager) changed another in between: both changes survive, or
    ``ConflictError`` is raised where the docs promise it (``save`` of a stale object; ``apply`` of a
    field another manager owns) and nothing is written;
(d) the same with ``pykorm.aio``.

``ROUNDTRIP_EXAMPLES`` (default 24) sets the number of examples.
"""

from __future__ import annotations

import datetime
import enum
import math
import os
import random
import secrets
import time
from typing import Any, Iterator, Literal, Optional, Union

import kubernetes
import pytest

import pykorm
from pykorm import ClientValidationError, ConflictError, fields
from pykorm.testing import Cluster

from .helpers import Sessions
from .witness import official_client

GROUP, VERSION, PLURAL = "roundtrip.pykorm.io", "v1", "samples"
UTC = datetime.timezone.utc
EXAMPLES = int(os.environ.get("ROUNDTRIP_EXAMPLES", "24"))


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Part(pykorm.Nested):
    name: str = fields.DataField("name", default="")
    size: Optional[int] = fields.DataField("size", default=None)
    at: Optional[datetime.datetime] = fields.DataField("at", default=None)
    tags: list[str] = fields.DataField("tags", default_factory=list)


@pykorm.k8s_custom_object(GROUP, VERSION, PLURAL)
class Sample(pykorm.NamespacedModel):
    text: Optional[str] = pykorm.Spec("text", default=None)
    count: Optional[int] = pykorm.Spec("count", default=None)
    ratio: Optional[float] = pykorm.Spec("ratio", default=None)
    on: Optional[bool] = pykorm.Spec("on", default=None)
    at: Optional[datetime.datetime] = pykorm.Spec("at", default=None)
    level: Optional[Level] = pykorm.Spec("level", default=None)
    kind: Optional[Literal["a", "b"]] = pykorm.Spec("kind", default=None)
    size: Optional[Union[int, str]] = pykorm.Spec("size", default=None)
    names: dict[str, str] = pykorm.Spec("names", default_factory=dict)
    free: dict[str, Any] = pykorm.Spec("free", default_factory=dict)
    tags: list[str] = pykorm.Spec("tags", default_factory=list)
    numbers: list[int] = pykorm.Spec("numbers", default_factory=list)
    times: list[datetime.datetime] = pykorm.Spec("times", default_factory=list)
    levels: list[Level] = pykorm.Spec("levels", default_factory=list)
    stamps: dict[str, datetime.datetime] = pykorm.Spec("stamps", default_factory=dict)
    part: Optional[Part] = fields.DictNestedField(Part, path="spec.part", default=None)
    parts: list[Part] = fields.ListField(Part, path="spec.parts")
    defaulted: int = pykorm.Spec("defaulted", default=7)
    note: Optional[str] = pykorm.MetadataAnnotation("roundtrip.pykorm.io/note", default=None)
    tier: Optional[str] = pykorm.MetadataLabel("tier", default=None)
    phase: Optional[str] = pykorm.Status("phase", default=None)


# -- the reference: a Python value's JSON and a JSON value's Python, from docs/guide/models.md ---------------

KINDS: dict[str, str] = {  # attribute -> its kind, as the reference reads it
    "text": "str", "count": "int", "ratio": "float", "on": "bool", "at": "datetime", "level": "enum", "kind": "str",
    "size": "int_or_string", "names": "dict", "free": "free", "tags": "list", "numbers": "list", "times": "datetimes",
    "levels": "enums", "stamps": "stamps", "part": "part", "parts": "parts", "defaulted": "int",
}
DEFAULTS = {"names": {}, "free": {}, "tags": [], "numbers": [], "times": [], "levels": [], "stamps": {}, "parts": [],
            "defaulted": 7}


def time_json(value: datetime.datetime) -> str:
    """RFC 3339 in UTC (a naive datetime is UTC), the fraction of a second when there is one."""
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    return wall(moment) + fraction + "Z"


def wall(moment: datetime.datetime) -> str:
    """The date and time of day, the year in four digits (strftime writes the year 1 as "1")."""
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"


def time_value(text: str) -> datetime.datetime:
    """What a timestamp means: an aware datetime (RFC 3339: Z or an offset, any fraction)."""
    head, _, rest = text.partition(".")
    if not rest:
        head, zone = text[:19], text[19:]
        fraction = ""
    else:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, zone = rest[:digits], rest[digits:]
    moment = datetime.datetime.strptime(head[:19], "%Y-%m-%dT%H:%M:%S")
    micro = int((fraction + "000000")[:6]) if fraction else 0
    offset = datetime.timedelta(0) if zone in ("Z", "z") else (
        (1 if zone[0] == "+" else -1) * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return moment.replace(microsecond=micro, tzinfo=datetime.timezone(offset)).astimezone(UTC)


def part_json(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "", "tags": []}  # the nested class's defaults
    for key, item in value.items():
        if item is not None:
            out[key] = time_json(item) if key == "at" else item
    return out


def to_json(kind: str, value: Any) -> Any:
    if kind == "datetime":
        return time_json(value)
    if kind == "enum":
        return value.value
    if kind == "datetimes":
        return [time_json(v) for v in value]
    if kind == "enums":
        return [v.value for v in value]
    if kind == "stamps":
        return {k: time_json(v) for k, v in value.items()}
    if kind == "part":
        return part_json(value)
    if kind == "parts":
        return [part_json(v) for v in value]
    return value


def from_json(kind: str, value: Any) -> Any:
    if kind == "float":
        return float(value)
    if kind == "datetime":
        return time_value(value)
    if kind == "enum":
        return Level(value)
    if kind == "datetimes":
        return [time_value(v) for v in value]
    if kind == "enums":
        return [Level(v) for v in value]
    if kind == "stamps":
        return {k: time_value(v) for k, v in value.items()}
    return value


def expected_spec(values: dict[str, Any]) -> dict[str, Any]:
    """The spec the server holds for a Sample made with ``values``: a None is no value (the server drops a null)."""
    spec = {k: to_json(KINDS[k], v) for k, v in DEFAULTS.items()}
    for name, value in values.items():
        if name in KINDS:
            if value is None:
                spec.pop(name, None)
            else:
                spec[name] = to_json(KINDS[name], value)
    return spec


# -- random values ---------------------------------------------------------------------------------------

STRINGS = ["", "a", "é-ü-中文-🙂", "tab\tnew\nline\r\x01\x1f\x7f", "quote\"back\\slash", "x" * 5000, "null", "0", " "]
INTS = [0, 1, -1, -(2**31), 2**53 + 1, 2**63 - 1, -(2**63), 42]
FLOATS = [0.0, 1.5, -1.5, 1e-300, -0.0, 1e300, 0.1, 2.0, 123456789.125]
HOURS = [datetime.timezone(datetime.timedelta(hours=h, minutes=m)) for h, m in ((0, 0), (2, 0), (-5, -30), (14, 0))]


def a_time(rng: random.Random) -> datetime.datetime:
    year = rng.choice([1, 999, 1970, 2000, 2026, 2099, 9999])
    moment = datetime.datetime(year, rng.randint(2, 11) if year in (1, 9999) else rng.randint(1, 12), rng.randint(1, 28),
                               rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                               rng.choice([0, 0, 1, 500000, 123456, 999999]))
    return moment if rng.random() < 0.3 else moment.replace(tzinfo=rng.choice(HOURS))  # naive: UTC


def a_part(rng: random.Random) -> dict[str, Any]:
    part: dict[str, Any] = {}
    if rng.random() < 0.8:
        part["name"] = rng.choice(STRINGS[:5])
    if rng.random() < 0.6:
        part["size"] = rng.choice(INTS + [None])
    if rng.random() < 0.5:
        part["at"] = a_time(rng)
    if rng.random() < 0.5:
        part["tags"] = rng.sample(STRINGS[:5], rng.randrange(3))
    return part


def draw(rng: random.Random) -> dict[str, Any]:
    """Python values for some of Sample's fields (None for some optional ones, others left out)."""
    makers: dict[str, Any] = {
        "text": lambda: rng.choice(STRINGS), "count": lambda: rng.choice(INTS), "ratio": lambda: rng.choice(FLOATS),
        "on": lambda: rng.choice([True, False]), "at": lambda: a_time(rng), "level": lambda: rng.choice(list(Level)),
        "kind": lambda: rng.choice(["a", "b"]), "size": lambda: rng.choice([0, 3, "10%", "", "x"]),
        "names": lambda: {rng.choice(STRINGS[:4]) or "k": rng.choice(STRINGS) for _ in range(rng.randrange(3))},
        "free": lambda: rng.choice([{}, {"a": [1, "x", None, {"b": True}]}, {"n": 2**53 + 1, "f": 0.5, "e": {}}]),
        "tags": lambda: rng.sample(STRINGS, rng.randrange(4)), "numbers": lambda: rng.sample(INTS, rng.randrange(4)),
        "times": lambda: [a_time(rng) for _ in range(rng.randrange(4))],
        "levels": lambda: [rng.choice(list(Level)) for _ in range(rng.randrange(3))],
        "stamps": lambda: {f"k{i}": a_time(rng) for i in range(rng.randrange(3))},
        "part": lambda: a_part(rng), "parts": lambda: [a_part(rng) for _ in range(rng.randrange(4))],
        "defaulted": lambda: rng.choice(INTS),
    }
    values: dict[str, Any] = {}
    for name, make in makers.items():
        roll = rng.random()
        if roll < 0.2:
            continue  # absent: the default
        if roll < 0.3 and name not in DEFAULTS:
            values[name] = None
        else:
            values[name] = make()
    if rng.random() < 0.7:
        values["note"] = rng.choice(STRINGS)
    if rng.random() < 0.7:
        values["tier"] = rng.choice(["gold", "", "a.b-c_d"])
    if rng.random() < 0.5:
        values["phase"] = rng.choice(STRINGS)
    return values


def other_writer_json(rng: random.Random, values: dict[str, Any]) -> dict[str, Any]:
    """The spec another writer stores for ``values``: timestamps in other forms, an int for a whole float."""
    def stamp(moment: datetime.datetime) -> str:
        aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        zone = aware.strftime("%z")
        zone = "Z" if zone == "+0000" and rng.random() < 0.5 else f"{zone[:3]}:{zone[3:]}"
        micro = aware.microsecond
        forms = [f".{micro:06d}"] + ([f".{micro // 1000:03d}"] if micro % 1000 == 0 else []) + ([""] if micro == 0 else [])
        return wall(aware) + rng.choice(forms) + zone

    spec: dict[str, Any] = {}
    for name, value in values.items():
        kind = KINDS.get(name)
        if kind is None or value is None:
            continue
        if kind == "datetime":
            spec[name] = stamp(value)
        elif kind == "datetimes":
            spec[name] = [stamp(v) for v in value]
        elif kind == "stamps":
            spec[name] = {k: stamp(v) for k, v in value.items()}
        elif kind == "float" and value == int(value) and abs(value) < 2**53:
            spec[name] = int(value)  # another writer's 2 for 2.0 (the API server answers 2.0 as 2 anyway)
        else:
            spec[name] = to_json(kind, value)
    return spec


# -- the world: sessions, the witness, one namespace --------------------------------------------------------

class World(Sessions):
    """The sessions (blocking and aio), the witness, one namespace."""

    def __init__(self, cluster: Cluster, witness: kubernetes.client.ApiClient, namespace: str) -> None:
        super().__init__(cluster)
        self.namespace = namespace
        self.api = kubernetes.client.CustomObjectsApi(witness)

    def seen(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)  # type: ignore[assignment]
        return found

    def theirs(self, name: str, spec: dict[str, Any]) -> None:
        """The official client's merge patch, as another field manager."""
        self.api.patch_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name, {"spec": spec},
                                                field_manager="other-writer")

    def found(self, name: str, lookup: str, want: Any) -> dict[str, list[str]]:
        """The names ``filter(name=name, lookup=want)`` finds, on the server, through pykorm.aio and in a cache."""
        query = Sample.query.session(self.pk).namespace(self.namespace).filter(name=name, **{lookup: want})
        aquery = self.apk.query(Sample).namespace(self.namespace).filter(name=name, **{lookup: want})
        return {"server": query.pluck("name"), "aio": self.run(aquery.pluck("name")),
                "cache": [o.name for o in query.cached().all()]}

    def cache_has(self, name: str, version: str) -> None:
        """Wait until the session's cache of the namespace holds ``name`` at ``version`` (its watch is asynchronous)."""
        query = Sample.query.session(self.pk).namespace(self.namespace)
        deadline = time.monotonic() + 30
        while (held := query.cached().get(name)) is None or held.resource_version != version:
            assert time.monotonic() < deadline, f"the cache never got {name} at {version}"
            time.sleep(0.02)



@pytest.fixture(scope="module")
def world(k8s_cluster: Cluster) -> Iterator[World]:
    with official_client(k8s_cluster) as witness:
        namespace = f"pykorm-roundtrip-{secrets.token_hex(3)}"
        core = kubernetes.client.CoreV1Api(witness)
        core.create_namespace({"metadata": {"name": namespace, "labels": {"pykorm.io/test": "true"}}})  # type: ignore[arg-type]
        world = World(k8s_cluster, witness, namespace)
        try:
            world.pk.install_crds(Sample)
            yield world
        finally:
            world.close()
            core.delete_namespace(namespace)


def check_reads(obj: Sample, spec: dict[str, Any], where: str) -> None:
    """Every attribute of ``obj`` reads what the JSON ``spec`` means."""
    for name, kind in KINDS.items():
        have = getattr(obj, name)
        if name not in spec:
            want = from_json(kind, to_json(kind, DEFAULTS[name])) if name in DEFAULTS else None
        else:
            want = from_json(kind, spec[name])
        if kind == "part":
            have = None if have is None else {k: getattr(have, k) for k in ("name", "size", "at", "tags")}
            want = None if want is None else {"name": want.get("name"), "size": want.get("size"),
                                              "at": time_value(want["at"]) if "at" in want else None, "tags": want.get("tags", [])}
        elif kind == "parts":
            have = [{k: getattr(p, k) for k in ("name", "size", "at", "tags")} for p in have]
            want = [{"name": w.get("name"), "size": w.get("size"), "at": time_value(w["at"]) if "at" in w else None,
                     "tags": w.get("tags", [])} for w in want]
        else:
            have = plain(have)
        assert have == want and same_types(have, want), f"{where}: {name} reads {have!r}, expected {want!r}"
        if kind in ("datetime", "datetimes", "stamps"):
            for moment in (have if isinstance(have, list) else have.values() if isinstance(have, dict) else [have]):
                assert moment is None or moment.tzinfo is not None, f"{where}: {name} read a naive datetime"


def plain(value: Any) -> Any:
    """A read container as a plain list or dict (views compare with those)."""
    if isinstance(value, (str, bytes)) or value is None:
        return value
    if hasattr(value, "items"):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "__iter__"):
        return [plain(v) for v in value]
    return value


def same_types(have: Any, want: Any) -> bool:
    """Equal values of the same types (a float is no int, True is no 1)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(same_types(have[k], want[k]) for k in want)
    if isinstance(want, list):
        return isinstance(have, list) and all(same_types(h, w) for h, w in zip(have, want))
    if isinstance(want, float) and math.copysign(1, want) != math.copysign(1, have):
        return want == 0 and have == 0  # -0.0: JSON keeps no sign of zero through the API server (Go writes 0)
    return type(have) is type(want)


LOOKUPS = {  # attribute -> the lookups that must find an object holding the value
    "text": lambda v: {"text": v}, "count": lambda v: {"count": v}, "ratio": lambda v: {"ratio": v},
    "on": lambda v: {"on": v}, "at": lambda v: {"at": v, "at__gte": v, "at__lte": v}, "level": lambda v: {"level": v},
    "kind": lambda v: {"kind": v}, "size": lambda v: {"size": v},
    "tags": lambda v: {"tags__contains": v[0]} if v else {"tags": []},
    "numbers": lambda v: {"numbers__contains": v[-1]} if v else {"numbers": []},
    "times": lambda v: {"times__contains": v[0], "times": v} if v else {"times": []},
    "levels": lambda v: {"levels__contains": v[0], "levels": v} if v else {},
    "stamps": lambda v: {f"stamps__{k}": t for k, t in v.items()},
    "names": lambda v: {f"names__{k}": s for k, s in v.items() if k and "__" not in k},
    "part": lambda v: {"part__at": v["at"]} if v.get("at") else {"part__name": v.get("name", "")},
    "parts": lambda v: {"parts__at": v[0]["at"]} if v and v[0].get("at") else {},
}


def spec_of(raw: dict[str, Any]) -> dict[str, Any]:
    return dict(raw.get("spec") or {})


def test_every_value_round_trips_between_pykorm_and_the_official_client(world: World) -> None:
    rng = random.Random(20261206)
    verbs = ["save", "update", "apply", "bulk", "aio-save", "aio-update", "aio-apply"]
    for example in range(EXAMPLES):
        values = draw(rng)
        name = f"s-{example}"
        where = f"example {example} ({name})"
        # (a) pykorm writes, the official client reads
        made = Sample(namespace=world.namespace, name=name, **values)
        saved = world.run(world.apk.save(made)) if example % 3 == 2 else world.pk.save(made)
        seen = world.seen(name)
        assert spec_of(seen) == expected_spec(values), f"{where}: the server holds {seen['spec']!r}"
        assert seen["metadata"].get("annotations", {}).get("roundtrip.pykorm.io/note") == values.get("note"), where
        assert seen["metadata"].get("labels", {}).get("tier") == values.get("tier"), where
        assert (seen.get("status") or {}).get("phase") == values.get("phase"), f"{where}: status {seen.get('status')}"
        assert saved.to_dict()["spec"] == seen["spec"], f"{where}: the saved object holds what the server answered"
        check_reads(saved, seen["spec"], f"{where} (a, after save)")
        # (b) the official client writes, pykorm reads
        theirs = draw(rng)
        other = f"o-{example}"
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Sample", "spec": other_writer_json(rng, theirs),
                "metadata": {"name": other, "namespace": world.namespace,
                             "labels": {"tier": theirs["tier"]} if theirs.get("tier") is not None else {},
                             "annotations": {"roundtrip.pykorm.io/note": theirs["note"]} if theirs.get("note") is not None else {}}}
        world.api.create_namespaced_custom_object(GROUP, VERSION, world.namespace, PLURAL, body)
        if theirs.get("phase") is not None:
            world.api.patch_namespaced_custom_object_status(GROUP, VERSION, world.namespace, PLURAL, other,
                                                            {"status": {"phase": theirs["phase"]}})
        stored = world.seen(other)
        read = world.pk.get(Sample, other, world.namespace)
        check_reads(read, stored["spec"], f"{where} (b)")
        assert read.to_dict()["spec"] == stored["spec"], where  # reads changed nothing the object holds
        assert read == world.pk.get(Sample, other, world.namespace), where
        assert (read.tier, read.note, read.phase) == (theirs.get("tier"), theirs.get("note"), theirs.get("phase")), where
        aread = world.run(world.apk.get(Sample, other, world.namespace))
        check_reads(aread, stored["spec"], f"{where} (b, aio)")
        world.cache_has(other, stored["metadata"]["resourceVersion"])
        for attribute, value in theirs.items():
            if value is None or attribute not in LOOKUPS:
                continue
            for lookup, want in LOOKUPS[attribute](value).items():
                found = world.found(other, lookup, want)
                assert found == {"server": [other], "aio": [other], "cache": [other]}, \
                    f"{where} (b): filter({lookup}={want!r}) found {found} in {stored['spec']}"
        # (c, d) a second writer between pykorm's read and its write
        verb = verbs[example % len(verbs)]
        second_writer(world, rng, saved, verb, where)


def their_change(rng: random.Random, mine: Sample) -> tuple[dict[str, Any], Any]:
    """The official client's merge patch of one field pykorm leaves alone, and what must hold afterwards."""
    field = rng.choice(["count", "tags", "names"])
    if field == "count":
        value = rng.choice([n for n in INTS if n != mine.count])  # a change: the object's resourceVersion moves
        return {"count": value}, lambda spec: spec.get("count") == value
    if field == "tags":
        tags = [f"theirs-{rng.randrange(10**6)}", rng.choice(STRINGS)]
        return {"tags": tags}, lambda spec: spec.get("tags") == tags
    key, text = f"theirs-{rng.randrange(10**6)}", rng.choice(STRINGS)
    return {"names": {key: text}}, lambda spec: spec.get("names", {}).get(key) == text


def our_change(rng: random.Random, mine: Sample) -> tuple[Any, str, Any, Any]:
    """pykorm's change of one field: the change (done in place where the field reads a live view), the field and
    its whole new value (for a bulk update), and what must hold of the server's spec afterwards."""
    field = rng.choice(["text", "times", "stamps", "parts", "ratio"])
    moment = a_time(rng)
    if field == "text":
        text = f"ours-{rng.randrange(10**6)}" + rng.choice(STRINGS[:5])
        return (lambda obj: setattr(obj, "text", text)), "text", text, lambda spec: spec.get("text") == text
    if field == "times":
        before = len(mine.times)
        return ((lambda obj: obj.times.append(moment)), "times", [*mine.times, moment],
                lambda spec: len(spec.get("times", [])) == before + 1 and spec["times"][-1] == time_json(moment))
    if field == "stamps":
        return ((lambda obj: obj.stamps.__setitem__("ours", moment)), "stamps", {**mine.stamps, "ours": moment},
                lambda spec: spec.get("stamps", {}).get("ours") == time_json(moment))
    if field == "parts":
        part = {"name": "ours", "at": moment, "size": rng.choice(INTS)}
        return ((lambda obj: obj.parts.append(part)), "parts", [*(p.to_dict() for p in mine.parts), part],
                lambda spec: (spec.get("parts") or [None])[-1] == part_json(part))
    ratio = rng.choice([r for r in (3.0, -0.5, 1e-300) if r != mine.ratio])  # a change (an equal value sends nothing)
    return (lambda obj: setattr(obj, "ratio", ratio)), "ratio", ratio, lambda spec: spec.get("ratio") == ratio


def second_writer(world: World, rng: random.Random, mine: Sample, verb: str, where: str) -> None:
    """The official client changes a field after pykorm read the object; pykorm changes another with ``verb``:
    both changes survive, or ConflictError is raised where the docs promise one, and nothing is written."""
    patch, theirs_hold = their_change(rng, mine)
    change, field, whole, ours_hold = our_change(rng, mine) if not verb.endswith("apply") else (
        None, "text", f"ours-{rng.randrange(10**6)}", None)
    world.theirs(mine.name, patch)
    aio = verb.startswith("aio-")
    run = world.run if aio else (lambda value: value)
    session: Any = world.apk if aio else world.pk
    if verb.endswith("save"):
        change(mine)
        with pytest.raises(ConflictError):  # docs/guide/session.md: no lost update, nothing written
            run(session.save(mine))
        assert not ours_hold(world.seen(mine.name)["spec"]), f"{where}: a refused save wrote {field}"
        run(session.refresh(mine))
        change(mine)
        run(session.save(mine))
    elif verb.endswith("update"):
        run(session.update(mine, change))
    elif verb.endswith("apply"):
        # Server-side apply under a manager of its own: sending a value another manager set (the stale count,
        # tags or names it holds, or the creator's text) is a conflict, and nothing is written.
        ours = whole
        ours_hold = lambda spec: spec.get("text") == ours  # noqa: E731
        theirs_field = next(iter(patch))
        held = {"count": mine.count, "tags": mine._raw["spec"].get("tags"), "names": None}[theirs_field]
        conflicts = [f for f, v in ((f"spec.{theirs_field}", held), ("spec.text", mine.text)) if v is not None]
        mine.text = ours
        if conflicts:
            with pytest.raises(ConflictError, match="|".join(conflicts)):
                run(session.apply(mine, field_manager="pykorm-apply"))
            assert world.seen(mine.name)["spec"].get("text") != ours, where  # nothing written
            run(session.refresh(mine))  # read again, decide again: their change is in what is applied now
            mine.text = ours
            run(session.apply(mine, field_manager="pykorm-apply", force=True))  # the creator's text taken over
        else:
            run(session.apply(mine, field_manager="pykorm-apply"))  # their field unmentioned: theirs stays
    else:  # bulk: query.update re-reads each object and retries on conflicts
        result = Sample.query.session(world.pk).namespace(world.namespace).filter(name=mine.name).update(**{field: whole})
        assert [o.name for o in result.changed] == [mine.name], where
    spec = world.seen(mine.name)["spec"]
    assert theirs_hold(spec) and ours_hold(spec), f"{where} ({verb}, theirs {patch}, ours {field}): {spec}"
    check_reads(world.pk.get(Sample, mine.name, world.namespace), spec, f"{where} (c, {verb})")


def test_nan_and_infinity_are_refused_before_sending(world: World) -> None:
    """JSON has no NaN or infinity: a typed error before any request, whatever the field, in both sessions."""
    sent: list[str] = []
    for value in (math.nan, math.inf, -math.inf):
        for given in ({"ratio": value}, {"free": {"a": [value]}}, {"free": {"deep": {"x": value}}, "parts": [{"name": "p"}]}):
            name = f"nan-{len(sent)}"
            sent.append(name)
            with pytest.raises(ClientValidationError, match="NaN or infinity"):
                world.pk.save(Sample(namespace=world.namespace, name=name, **given))
            with pytest.raises(ClientValidationError, match="NaN or infinity"):
                world.run(world.apk.save(Sample(namespace=world.namespace, name=name, **given)))
            assert not world.api.list_namespaced_custom_object(GROUP, VERSION, world.namespace, PLURAL,
                                                               field_selector=f"metadata.name={name}")["items"]
    with pytest.raises(ClientValidationError, match="beyond a 64-bit integer"):  # kept as a float, another number
        world.pk.save(Sample(namespace=world.namespace, name="huge", free={"n": 2**64 + 1}))
    assert not world.api.list_namespaced_custom_object(GROUP, VERSION, world.namespace, PLURAL,
                                                       field_selector="metadata.name=huge")["items"]
    # a stored object changed to NaN: refused too, nothing written
    obj = world.pk.save(Sample(namespace=world.namespace, name="finite", ratio=1.5))
    obj.ratio = math.nan
    with pytest.raises(ClientValidationError, match="NaN or infinity"):
        world.pk.save(obj)
    obj.ratio, obj.free = 1.5, {"x": math.inf}
    with pytest.raises(ClientValidationError, match="NaN or infinity"):
        world.pk.apply(obj)
    assert world.seen("finite")["spec"]["ratio"] == 1.5


def test_apply_stores_characters_outside_the_bmp(world: World) -> None:
    """An apply body is read as YAML, which refused json's surrogate pair escapes: applying an emoji failed with
    "yaml: found invalid Unicode character escape code" (found by the differential test)."""
    text = "🙂 \\ud83d \U0001f600"
    obj = Sample(namespace=world.namespace, name="emoji", text=text, names={"🙂": "𝄞"}, tags=["\\\U0001f642"])
    world.pk.apply(obj)
    seen = world.seen("emoji")["spec"]
    assert (seen["text"], seen["names"], seen["tags"]) == (text, {"🙂": "𝄞"}, ["\\\U0001f642"])
    again = world.run(world.apk.apply(Sample(namespace=world.namespace, name="emoji", text=text + "!", names={"🙂": "𝄞"},
                                             tags=["\\\U0001f642"])))
    assert again.text == text + "!" == world.seen("emoji")["spec"]["text"]


