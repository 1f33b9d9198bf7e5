"""Models of Kubernetes' built-in kinds, generated from the API server's own OpenAPI v3 documents.

``pykorm/k8s/`` is this module's output for the pinned Kubernetes version: one module per group
version (``core_v1``, ``apps_v1``...) plus ``meta_v1`` for the apimachinery types they share. Each
kind the server serves (:func:`pykorm._tools.k8s_inputs.served_kinds`: every version of each of Kubernetes'
own groups) becomes a model bound with :func:`pykorm.k8s_resource` (its plural and scope
from discovery), each object definition it reaches through ``$ref`` a :class:`pykorm.Nested` class
named as Kubernetes names it (``PodSpec``, ``Container``, ``Probe``...). The field selectors the
server accepts for a kind are found by asking it (a list with ``fieldSelector=<path>=x`` is refused
with 400 for a path it does not support) and recorded as the resource's ``selectable`` paths, so
that the query planner pushes them down.

Choices, each for a reason:

- Enumerations are ``str``, not ``Literal``: Kubernetes adds values across versions, and clients
  must accept values they do not know.
- ``Quantity`` is ``str`` (as the server writes it), ``IntOrString`` is ``int | str``, ``Time`` a
  ``datetime``; ``MicroTime`` stays ``str`` (pykorm writes datetimes to the second, MicroTime
  needs microseconds).
- Server defaults are not repeated: an omitted field is defaulted by the server, and a default
  written by the client would be claimed by its field manager in server-side apply.
- Required fields allow empty values: the server decides (``roleRef.apiGroup`` is ``""`` for the
  core group), and client-side checks never refuse what the server accepts.
- Descriptions are left out (the modules would be ten times larger); a class keeps the first
  sentence of its description as its docstring.

``pykorm/k8s/__init__.py`` imports no group module: a name (``pykorm.k8s.Deployment``) loads its module
on first use (PEP 562's module ``__getattr__``), so ``import pykorm.k8s`` stays cheap with every kind;
its ``TYPE_CHECKING`` block names every class for type checkers, and its ``MODELS`` table maps
(apiVersion, kind) to the model, for :func:`pykorm.k8s.model_of`.

Regenerate with ``python -m pykorm codegen k8s`` against a cluster of the pinned version
(``--check`` says whether the checked-in modules are current).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from .._base.versions import KUBERNETES_VERSION, minor_of
from .codegen import _WIDTH, _attr, _call, _py, snake_case
from .k8s_inputs import RELEASES_DIR, K8sInputs, _definition_name, _definitions, _gv, _ref, fetch_inputs, load_older
from ..models._model import NamespacedModel, Nested

__all__ = ["PACKAGE_DIR", "RELEASES_DIR", "K8sInputs", "fetch_inputs", "k8s_sources", "load_older", "release_record",
           "served_fields", "stale_modules"]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_SPECIAL: dict[str, str] = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "str",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "int | str",
    _META + "Time": "datetime.datetime",
    _META + "MicroTime": "str",
    _META + "FieldsV1": "dict[str, Any]",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "dict[str, Any]",
}
_HAND_WRITTEN = {_META + "OwnerReference": "OwnerReference"}  # from pykorm._data.owners
"""Definitions pykorm itself declares (every model's ``owner_references``): imported, not generated."""
_ENVELOPE = ("apiVersion", "kind", "metadata")
_BUILTIN_TYPES = {"bool", "int", "str", "float", "list", "dict"}
_MODULE_PREFIXES = ("io.k8s.api.", "io.k8s.apiextensions-apiserver.pkg.apis.", "io.k8s.kube-aggregator.pkg.apis.")
_MODEL_RESERVED = {n for n in dir(NamespacedModel) if not n.startswith("_")} | {"Meta", "owners"}
_NESTED_RESERVED = {n for n in dir(Nested) if not n.startswith("_")}


# -- generation ------------------------------------------------------------------------------


class _Def:
    """One generated class: a kind's model or a Nested definition."""

    def __init__(self, definition: str, module: str, schema: Mapping[str, Any], kind: tuple[str, str, str] | None) -> None:
        self.definition, self.name = definition, definition.rpartition(".")[2]
        self.module, self.schema, self.kind = module, schema, kind
        self.lines: list[str] = []
        self.depends: set[str] = set()  # definition names used by this one's fields


def _module_of(definition: str) -> str:
    """``io.k8s.api.apps.v1.Deployment`` → ``apps_v1``; apimachinery's → ``meta_v1``; the aggregator's
    and apiextensions' groups alike (``apiregistration_v1``, ``apiextensions_v1``)."""
    if definition.startswith(_META):
        return "meta_v1"
    for prefix in _MODULE_PREFIXES:
        match = re.match(re.escape(prefix) + r"([a-z0-9]+)\.(v[a-z0-9]+)\.", definition)
        if match is not None:
            return f"{match.group(1)}_{match.group(2)}"
    raise ValueError(f"no module for the OpenAPI definition {definition}")


def k8s_sources(inputs: K8sInputs, kinds: Iterable[tuple[str, str, str]] | None = None) -> dict[str, str]:
    """The modules of ``pykorm/k8s/``: file name → Python source (``kinds``: default ``inputs.kinds``)."""
    kinds = tuple(kinds) if kinds is not None else inputs.kinds
    generated = _generate(inputs, kinds)
    modules: dict[str, list[str]] = {}
    for name in _ordered(generated):
        modules.setdefault(generated[name].module, []).append(name)
    sources = {f"{module}.py": _module_source(module, names, generated, inputs) for module, names in sorted(modules.items())}
    sources["__init__.py"] = _package_source(kinds, inputs, generated)
    return sources


def served_fields(inputs: K8sInputs, kinds: Iterable[tuple[str, str, str]] | None = None) -> dict[str, list[str]]:
    """Each definition the generator makes a class of, with the property names this cluster serves:
    what an older release's record (:data:`RELEASES_DIR`) holds."""
    return {name: sorted(cls.schema.get("properties") or ()) for name, cls in sorted(_generate(inputs, inputs.kinds if kinds is None else kinds).items())}


def _generate(inputs: K8sInputs, kinds: Iterable[tuple[str, str, str]]) -> dict[str, _Def]:
    """Every class to generate (each kind's and each definition they reach), by definition name."""
    definitions: dict[str, Any] = {}
    for document in inputs.documents.values():
        definitions.update(_definitions(document))
    generated: dict[str, _Def] = {}  # definition name → class
    for group, version, kind in kinds:  # kinds first: a kind another one's field names is still a model
        name = _definition_name(inputs.documents[_gv(group, version)], group, version, kind)
        if name in generated:
            raise ValueError(f"{name} is the schema of two kinds: {generated[name].kind} and {(group, version, kind)}")
        generated[name] = _Def(name, _module_of(name), definitions[name], (group, version, kind))
    pending = list(generated)
    while pending:
        cls = generated[pending.pop(0)]
        _fields(cls, definitions, inputs)
        for used in sorted(cls.depends):
            if used not in generated:
                generated[used] = _Def(used, _module_of(used), definitions[used], None)
                pending.append(used)
    return generated


def _not_served(inputs: K8sInputs, definition: str, key: str | None = None) -> str | None:
    """``Not served by Kubernetes 1.35 (new in 1.36).`` when an older release lacks the definition (``key``:
    that property of it); None when every recorded release serves it."""
    lacking = []
    for release in sorted(inputs.older, key=lambda r: tuple(int(n) for n in r.lstrip("v").split("."))):
        fields = inputs.older[release].get(definition)
        if fields is None or (key is not None and key not in fields):
            lacking.append(minor_of(release))
    if not lacking:
        return None
    newer = [minor_of(r) for r in inputs.older if minor_of(r) not in lacking]
    since = min([*newer, minor_of(KUBERNETES_VERSION)], key=lambda m: tuple(int(n) for n in m.split(".")))
    return f"Not served by Kubernetes {' or '.join(lacking)} (new in {since})."


def _fields(cls: _Def, definitions: Mapping[str, Any], inputs: K8sInputs) -> None:
    schema = cls.schema
    required = set(schema.get("required") or ())
    reserved = _MODEL_RESERVED if cls.kind else _NESTED_RESERVED
    used: set[str] = set()
    keys: dict[str, str] = {}  # Python name -> the JSON key it was made from
    fields = []
    for key, prop in (schema.get("properties") or {}).items():
        if cls.kind and key in _ENVELOPE:
            continue
        other = keys.setdefault(snake_case(key), key)
        if other != key:  # the names are public API: never a silent `pod_ips_2`
            raise ValueError(f"{cls.name}: the JSON keys {other!r} and {key!r} both become the Python name "
                             f"{snake_case(key)!r} (pykorm._tools.codegen.snake_case): one class cannot hold both; the generator needs a rule for them")
        fields.append((key, prop, _attr(key, reserved, used, "")))
        used.add(fields[-1][2])
    shadowed = sorted(used & _BUILTIN_TYPES)  # resource.k8s.io's DeviceAttribute has fields `bool` and `int`
    lines = []
    for key, prop, attr in fields:
        annotation = _annotation(prop, definitions, cls.depends)
        if shadowed:  # in the class body the field's name would hide the builtin type from type checkers
            annotation = re.sub(rf"\b({'|'.join(shadowed)})\b", r"builtins.\1", annotation)
        args = [_py([key]) if "." in key else _py(key)]
        if key in required:
            args.append("required=True")
            if annotation.startswith(("str", "list", "dict", "builtins.str", "builtins.list", "builtins.dict")):
                args.append("allow_empty=True")
        else:
            annotation += " | None"
            args.append("default=None")
        lines += _call(f"    {attr}: {annotation} = DataField", args, "    ")
        note = _not_served(inputs, cls.definition, key) if _not_served(inputs, cls.definition) is None else None
        if note:
            lines.append(f'    """{note}"""')
    cls.lines = lines


def _annotation(schema: Mapping[str, Any], definitions: Mapping[str, Any], depends: set[str]) -> str:
    ref = _ref(schema)
    if ref is not None:
        if ref in _SPECIAL:
            return _SPECIAL[ref]
        if ref in _HAND_WRITTEN:
            return _HAND_WRITTEN[ref]
        target = definitions.get(ref)
        if target is None or "properties" not in target:
            return _annotation(target or {}, definitions, depends) if target and "type" in target else "Any"
        depends.add(ref)
        return ref.rpartition(".")[2]
    kind = schema.get("type")
    if kind == "array":
        return f"list[{_annotation(schema.get('items') or {}, definitions, depends)}]"
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, Mapping) and values:
            return f"dict[str, {_annotation(values, definitions, depends)}]"
        return "dict[str, Any]"
    scalar = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}.get(str(kind))
    return scalar or "Any"


def _ordered(generated: Mapping[str, _Def]) -> list[str]:
    """Definitions so that each comes after those its fields use (classes must exist when used)."""
    done: dict[str, None] = {}
    visiting: set[str] = set()

    def walk(name: str) -> None:
        if name in done or name in visiting:
            return
        visiting.add(name)
        for used in sorted(generated[name].depends):
            walk(used)
        done[name] = None

    for name in sorted(generated, key=lambda n: (generated[n].kind is None, n)):
        walk(name)
    return list(done)


def _module_source(module: str, names: list[str], generated: Mapping[str, _Def], inputs: K8sInputs) -> str:
    body: list[str] = []
    imports: dict[str, set[str]] = {}
    for name in names:
        cls = generated[name]
        for used in cls.depends:
            other = generated[used]
            if other.module != module:
                imports.setdefault(other.module, set()).add(other.name)
        body += ["", ""] + _class_source(cls, inputs)
    text = "\n".join(body)
    head = [f'"""{_module_title(module)} (generated by ``python -m pykorm codegen k8s``; do not edit)."""', "",
            "from __future__ import annotations", ""]
    if "builtins." in text:
        head.append("import builtins")
    if "datetime." in text:
        head.append("import datetime")
    if re.search(r"\bAny\b", text):
        head.append("from typing import Any")
    head += ["", "from ..fields import DataField"]
    if "@k8s_resource" in text:
        bases = [b for b in ("ClusterModel", "NamespacedModel") if f"({b})" in text]
        head.append(f"from ..models._model import {', '.join(bases + ['Nested', 'k8s_resource'])}")
    else:
        head.append("from .._data.objects import Nested")
    if _hand_written(text):
        head.append(f"from .._data.owners import {', '.join(_hand_written(text))}")
    for other_module in sorted(imports):
        head += _wrapped(f"from .{other_module} import (", sorted(imports[other_module]), ")",
                         bare=f"from .{other_module} import ")
    exported = sorted(generated[n].name for n in names)
    return "\n".join(head + [""] + _wrapped("__all__ = [", [f'"{n}"' for n in exported], "]") + body) + "\n"


def _hand_written(text: str) -> list[str]:
    return sorted(n for n in _HAND_WRITTEN.values() if re.search(rf"\b{n}\b", text))


def _wrapped(opening: str, items: list[str], closing: str, bare: str | None = None) -> list[str]:
    """``opening items closing`` on one line when it fits (``bare items`` if given), else an item per line."""
    line = (bare + ", ".join(items)) if bare is not None else opening + ", ".join(items) + closing
    if len(line) <= _WIDTH:
        return [line]
    return [opening] + [f"    {item}," for item in items] + [closing]


def _module_title(module: str) -> str:
    group, _, version = module.rpartition("_")
    return f"Kubernetes {'apimachinery meta' if group == 'meta' else group}/{version} types"


def _class_source(cls: _Def, inputs: K8sInputs) -> list[str]:
    lines, base = [], "Nested"
    if cls.kind is not None:
        group, version, kind = cls.kind
        plural, namespaced = inputs.resources[(_gv(group, version), kind)]
        args = [_py(group), _py(version), _py(plural), f"kind={_py(kind)}"]
        selectable = inputs.selectable.get((_gv(group, version), kind))
        if selectable:
            args.append(f"selectable={_py(tuple(selectable))}")
        lines += _call("@k8s_resource", args, "")
        base = "NamespacedModel" if namespaced else "ClusterModel"
    lines.append(f"class {cls.name}({base}):")
    doc = _first_sentence(cls.schema.get("description"))
    note = _not_served(inputs, cls.definition)
    if doc and note:
        lines += [f'    """{doc}', "", f"    {note}", '    """']
    elif doc or note:
        lines.append(f'    """{doc or note}"""')
    if cls.lines:
        if doc or note:
            lines.append("")
        lines += cls.lines
    elif not (doc or note):
        lines.append("    pass")
    return lines


def _first_sentence(text: Any) -> str | None:
    if not isinstance(text, str) or not text:
        return None
    sentence = re.split(r"(?<=\.)\s", text.strip(), maxsplit=1)[0].split("\n")[0].strip()
    if '"""' in sentence or "\\" in sentence or not sentence:
        return None
    return sentence if len(sentence) <= _WIDTH - 10 else None


def _package_source(kinds: Iterable[tuple[str, str, str]], inputs: K8sInputs, generated: Mapping[str, _Def]) -> str:
    """``pykorm/k8s/__init__.py``: every group module and kind by name, each loaded on first use."""
    by_kind = {d.kind: d for d in generated.values() if d.kind is not None}
    names: dict[str, str] = {}  # top-level name → its module: the first kind of that name (inputs.kinds' order)
    table: list[str] = []  # MODELS' entries: (apiVersion, kind) → (module, class)
    for group, version, kind in kinds:
        cls = by_kind[(group, version, kind)]
        names.setdefault(kind, cls.module)
        table.append(f"    ({_py(_gv(group, version))}, {_py(kind)}): ({_py(cls.module)}, {_py(cls.name)}),")
    modules = sorted({d.module for d in generated.values()})
    lines = ['"""Models of Kubernetes\' built-in kinds, generated from the pinned API server\'s OpenAPI v3: every kind',
             "it serves, in a module per group version (``apps_v1``...), loaded when a name of it is first used.", "",
             "    >>> from pykorm.k8s import Deployment, Pod", "    >>> Pod.query.filter(status__phase=\"Running\")", "",
             "Regenerate with ``python -m pykorm codegen k8s`` (see pykorm._tools.k8s_codegen).", '"""', "",
             "from __future__ import annotations", "", "import importlib", "from typing import TYPE_CHECKING, Any", "",
             "if TYPE_CHECKING:"]
    lines += ["    " + line for line in _wrapped("from . import (", modules, ")", bare="from . import ")]
    for module in modules:
        taken = sorted(k for k, m in names.items() if m == module)
        if taken:
            lines += ["    " + line for line in _wrapped(f"from .{module} import (", taken, ")", bare=f"from .{module} import ")]
    lines += ["", "from . import _build", "from ._build import *  # noqa: F403 - builders of common objects (hand-written)"]
    lines += ["", "MODULES: tuple[str, ...] = ("] + [f"    {_py(m)}," for m in modules] + [")",
              '"""The group-version modules."""', "", "NAMES: dict[str, str] = {"]
    lines += [f"    {_py(n)}: {_py(m)}," for n, m in sorted(names.items())] + ["}",
              '"""Each kind\'s top-level name → its module (two kinds of one name: the core group\'s, else the preferred version\'s)."""',
              "", "MODELS: dict[tuple[str, str], tuple[str, str]] = {"] + table + ["}",
              '"""(apiVersion, kind) of every kind the server serves → (module, class name)."""', ""]
    lines += _wrapped("__all__ = [", [f'"{n}"' for n in sorted([*names, *modules, "model_of"])], "]")
    lines.append("__all__ += _build.__all__")
    lines += ["", "", "def model_of(api_version: str, kind: str) -> Any:",
              '    """The model of ``api_version``/``kind`` (its module imported now), or None when no built-in kind is that."""',
              "    found = MODELS.get((api_version, kind))",
              "    return None if found is None else getattr(importlib.import_module(f\"{__name__}.{found[0]}\"), found[1])",
              "", "", "if not TYPE_CHECKING:  # type checkers read the imports above: a misspelt name stays an error", "",
              "    def __getattr__(name: str) -> Any:",
              "        if name in MODULES:",
              "            return importlib.import_module(f\"{__name__}.{name}\")",
              "        if name not in NAMES:",
              "            raise AttributeError(f\"module {__name__!r} has no attribute {name!r}\")",
              "        value = getattr(importlib.import_module(f\"{__name__}.{NAMES[name]}\"), name)",
              "        globals()[name] = value",
              "        return value", "",
              "    def __dir__() -> list[str]:",
              "        return sorted({*globals(), *__all__})"]
    return "\n".join(lines) + "\n"


def release_record(inputs: K8sInputs, release: str) -> str:
    """The text of ``RELEASES_DIR/<release>.json`` for a cluster serving ``release``."""
    record = {"about": "the properties Kubernetes serves of each definition pykorm.k8s generates: what an older "
                       "release lacks is noted in the generated docstrings (pykorm._tools.k8s_codegen)",
              "kubernetes": release, "definitions": served_fields(inputs)}
    return json.dumps(record, indent=1, sort_keys=True) + "\n"


PACKAGE_DIR = Path(__file__).resolve().parents[1] / "k8s"
"""Where the generated modules are checked in."""


def stale_modules(sources: Mapping[str, str], directory: Path = PACKAGE_DIR) -> list[str]:
    """The files of ``directory`` that differ from ``sources`` (or are missing, or are no longer generated; a
    private module other than ``__init__.py`` is hand-written, as ``_build.py``)."""
    directory = Path(directory)
    present = {p.name for p in directory.glob("*.py")} if directory.is_dir() else set()
    stale = [name for name, text in sources.items() if not (directory / name).is_file() or (directory / name).read_text() != text]
    hand_written = {name for name in present if name.startswith("_") and name != "__init__.py"}  # _build.py
    return sorted(stale + [name for name in present - set(sources) - hand_written])
