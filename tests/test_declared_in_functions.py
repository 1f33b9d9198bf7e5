"""Models declared inside functions (tests, notebooks) under ``from __future__ import annotations``."""

from __future__ import annotations

import pykorm
from pykorm import fields


def test_a_model_declared_in_a_function_round_trips(pk: pykorm.Pykorm, k8s_namespace: str) -> None:
    class Placement(pykorm.Nested):
        rack: str = fields.DataField("rack")
        zone: str = fields.DataField("zone", default="z1")

    class Port(pykorm.Nested):
        port: int = fields.DataField("port")
        name: str | None = fields.DataField("name", default=None)

    @pykorm.k8s_custom_object("funcs.pykorm.io", "v1", "gadgets")
    class Gadget(pykorm.NamespacedModel):
        placement: Placement | None = fields.DictNestedField(Placement, path=["spec", "placement"], default=None)
        ports: list[Port] = fields.ListField(Port, path=["spec", "ports"])
        spare: Spare | None = pykorm.Spec("spare", default=None)  # declared below, in this function
        size: int = pykorm.Spec("size", default=1, minimum=0)

    class Spare(pykorm.Nested):
        count: int = fields.DataField("count", default=0)

    pk.install_crds(Gadget)
    gadget = Gadget(namespace=k8s_namespace, name="g", placement=Placement(rack="r1"), ports=[Port(port=80)],
                    spare={"count": 2})
    pk.save(gadget)
    [read] = Gadget.query.namespace(k8s_namespace).filter(placement__rack="r1", ports__port=80).all()
    assert (read.placement.rack, read.placement.zone, read.ports[0].port, read.spare.count) == ("r1", "z1", 80, 2)
    schema = pykorm.crd(Gadget)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert schema["properties"]["spare"]["properties"]["count"]["type"] == "integer"
    read.ports[0].port = 8080
    pk.save(read)
    assert pk.get(Gadget, "g", k8s_namespace).ports[0].port == 8080


def test_an_annotation_that_is_only_documentation_does_not_break_a_model() -> None:
    class Loose(pykorm.Nested):
        thing: NotImportedAnywhere = fields.DataField("thing", default=None)  # type: ignore[name-defined]  # noqa: F821
        count: int = fields.DataField("count", default=0)

    loose = Loose(thing={"any": "value"}, count=3)
    assert loose.thing == {"any": "value"} and loose.count == 3
