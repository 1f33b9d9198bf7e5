"""CustomResourceDefinitions generated from models: ``pykorm.crd(Model)``, ``pykorm.crds(*models)``.

Field-level options are field arguments (``description``, ``required``, ``default``,
validation options, ``selectable=True``, ``printer_column=True`` or a column name;
see :mod:`pykorm._schema.schema`). Class-level options go in a nested ``Meta`` class, read
from the model itself (not inherited), as Django does::

    @pykorm.k8s_custom_object("example.com", "v1", "databases")
    class Database(pykorm.NamespacedModel):
        \"\"\"A managed database.\"\"\"          # the schema's description

        class Meta:
            short_names = ("db",)
            categories = ("all",)
            scale = {"spec_replicas": "replicas", "status_replicas": "ready_replicas"}

        replicas: int = pykorm.Spec("replicas", default=1, minimum=0)
        ready_replicas: int | None = pykorm.Status("readyReplicas", default=None)

``Meta`` options (:class:`CRDOptions`):

==================  =====================================================================
singular            ``names.singular`` (default: the kind, lower case)
short_names         ``names.shortNames`` (``kubectl get db``)
categories          ``names.categories`` (``kubectl get all``)
printer_columns     extra ``additionalPrinterColumns``, as raw dicts, after the fields' own
status_subresource  serve ``/status`` (default: True when a field is under ``status``)
scale               the ``/scale`` subresource: ``spec_replicas``, ``status_replicas`` and
                    optionally ``label_selector``, each an attribute name or a JSON path
storage             this model's version is the storage version (several versions)
served              the version is served (default True)
deprecated          the version is deprecated; a string is its deprecation warning
description         the schema's description (default: the class docstring's first paragraph)
==================  =====================================================================

Several models of one resource (same group, plural and kind; different versions)
make one CRD with several versions; exactly one is the storage version: the one
whose ``Meta.storage`` is True, else the first.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Iterator

from .._data.fields import DataField
from .._base.paths import Path
from .._http.resource import ResourceType, resource_of
from .schema import docstring_summary, object_schema

__all__ = ["COLUMN_TYPES", "CRDOptions", "crd", "crd_file_name", "crd_options", "crds", "json_path", "to_yaml"]


@dataclasses.dataclass(frozen=True)
class CRDOptions:
    """A model's class-level CRD options, read from its nested ``Meta`` class (see the module docs)."""

    singular: str | None = None
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    printer_columns: tuple[dict[str, Any], ...] = ()
    status_subresource: bool | None = None
    scale: dict[str, str] | None = None
    storage: bool | None = None
    served: bool = True
    deprecated: bool | str = False
    description: str | None = None


_SCALE_KEYS = {"spec_replicas": "specReplicasPath", "status_replicas": "statusReplicasPath",
               "label_selector": "labelSelectorPath"}
COLUMN_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "datetime": "date"}
"""A printer column's type for a field's kind (others show as strings)."""
_SELECTABLE_KINDS = ("str", "int", "bool", "enum", "literal")


def crd_options(model: type) -> CRDOptions:
    """The options of ``model``'s own ``Meta`` class (defaults when it has none).

    Raises:
        TypeError: ``Meta`` sets an option that does not exist (the message lists them).
    """
    meta = model.__dict__.get("Meta")
    if meta is None:
        return CRDOptions()
    names = {f.name for f in dataclasses.fields(CRDOptions)}
    values: dict[str, Any] = {}
    for key, value in vars(meta).items():
        if key.startswith("_"):
            continue
        if key not in names:
            raise TypeError(f"{model.__name__}.Meta: unknown option {key!r}; options are: {', '.join(sorted(names))}")
        values[key] = tuple(value) if key in ("short_names", "categories", "printer_columns") else value
    return CRDOptions(**values)


def crd(*models: type) -> dict[str, Any]:
    """The CustomResourceDefinition (``apiextensions.k8s.io/v1``) of a model, or of the versions of one resource.

    Raises:
        TypeError: a model is not bound to a custom resource, the models are not versions of one
            resource, or a field cannot be mapped to a schema (the message names Model.field).

    >>> crd(Peach)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"]
    ['variety']
    """
    if not models:
        raise TypeError("crd() needs at least one model class")
    resources = [_custom_resource(m) for m in models]
    first = resources[0]
    for model, resource in zip(models, resources):
        if (resource.group, resource.plural, resource.kind, resource.namespaced) != (
            first.group, first.plural, first.kind, first.namespaced
        ):
            raise TypeError(
                f"{model.__name__} ({resource.kind} {resource.plural}.{resource.group}) is not a version of "
                f"{models[0].__name__} ({first.kind} {first.plural}.{first.group}); use crds() for several resources"
            )
    versions = [r.version for r in resources]
    if len(set(versions)) != len(versions):
        raise TypeError(f"{first.crd_name}: two models have the same version: {versions}")
    options = [crd_options(m) for m in models]
    storage = [m for m, o in zip(models, options) if o.storage]
    if len(storage) > 1:
        raise TypeError(f"{first.crd_name}: only one version can be stored; Meta.storage is True in "
                        f"{', '.join(m.__name__ for m in storage)}")
    stored = storage[0] if storage else models[0]
    names: dict[str, Any] = {"kind": first.kind, "listKind": f"{first.kind}List", "plural": first.plural,
                             "singular": _agreed(models, options, "singular") or first.kind.lower()}
    for key, option in (("shortNames", "short_names"), ("categories", "categories")):
        value = _agreed(models, options, option)
        if value:
            names[key] = list(value)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": first.crd_name},
        "spec": {
            "group": first.group,
            "names": names,
            "scope": "Namespaced" if first.namespaced else "Cluster",
            "versions": [_version(m, r, o, m is stored) for m, r, o in zip(models, resources, options)],
        },
    }


def crds(*models: type) -> list[dict[str, Any]]:
    """One CRD per resource among ``models`` (models of one resource become its versions), in order."""
    groups: dict[tuple[str, str], list[type]] = {}
    for model in models:
        resource = _custom_resource(model)
        groups.setdefault((resource.group, resource.plural), []).append(model)
    return [crd(*group) for group in groups.values()]


def crd_file_name(manifest: dict[str, Any]) -> str:
    """The file a CRD is kept in: ``<plural>.<group>.yaml``."""
    return f"{manifest['metadata']['name']}.yaml"


def to_yaml(*manifests: dict[str, Any]) -> str:
    """The manifests as YAML documents, keys in their order (PyYAML, which the kubernetes client installs)."""
    yaml: Any = importlib.import_module("yaml")

    class Dumper(yaml.SafeDumper):  # type: ignore[misc]
        def ignore_aliases(self, data: Any) -> bool:
            return True  # a dict used twice is written twice, never as an &anchor

    return "---\n".join(
        yaml.dump(m, Dumper=Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
        for m in manifests
    )


def json_path(path: Path) -> str:
    """A field path as a CRD ``jsonPath``: ``.spec.score``; dots inside keys are escaped."""
    return "".join("." + key.replace(".", "\\.") for key in path)


# -- one version --------------------------------------------------------------------------


def _version(model: type, resource: ResourceType, options: CRDOptions, storage: bool) -> dict[str, Any]:
    schema = object_schema(model, model=True)
    top: dict[str, Any] = {}
    description = options.description or docstring_summary(model)
    if description:
        top["description"] = description
    top["type"] = "object"
    top["properties"] = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                         **schema.get("properties", {})}
    if schema.get("required"):
        top["required"] = schema["required"]
    version: dict[str, Any] = {"name": resource.version, "served": options.served, "storage": storage}
    if options.deprecated:
        version["deprecated"] = True
        if isinstance(options.deprecated, str):
            version["deprecationWarning"] = options.deprecated
    version["schema"] = {"openAPIV3Schema": top}
    subresources = _subresources(model, options)
    if subresources:
        version["subresources"] = subresources
    columns = [_column(path, field) for path, field in _walk(model) if field.printer_column]
    columns += [dict(c) for c in options.printer_columns]
    if columns:
        version["additionalPrinterColumns"] = columns
    selectable = [_selectable(model, path, field) for path, field in _walk(model) if field.selectable]
    if selectable:
        version["selectableFields"] = selectable
    return version


def _subresources(model: type, options: CRDOptions) -> dict[str, Any]:
    fields: dict[str, DataField] = model._fields  # type: ignore[attr-defined]
    has_status = any(f.path[0] == "status" for f in fields.values())
    subresources: dict[str, Any] = {}
    if options.status_subresource if options.status_subresource is not None else has_status:
        subresources["status"] = {}
    if options.scale:
        unknown = set(options.scale) - set(_SCALE_KEYS)
        if unknown or not {"spec_replicas", "status_replicas"} <= set(options.scale):
            raise TypeError(f"{model.__name__}.Meta.scale needs spec_replicas and status_replicas, and may have "
                            f"label_selector; got {sorted(options.scale)}")
        scale = {}
        for key, target in options.scale.items():
            if target.startswith("."):
                scale[_SCALE_KEYS[key]] = target
            elif target in fields:
                scale[_SCALE_KEYS[key]] = json_path(fields[target].path)
            else:
                raise TypeError(f"{model.__name__}.Meta.scale[{key!r}]: {target!r} is neither a field nor a JSON path")
        subresources["scale"] = scale
    return subresources


def _walk(cls: type, prefix: Path = ()) -> Iterator[tuple[Path, DataField]]:
    """Each field with its full path, including those of nested objects (not of lists of them)."""
    for field in cls._fields.values():  # type: ignore[attr-defined]
        path = prefix + field.path
        yield path, field
        if field.info.kind == "nested":
            yield from _walk(field.info.python, path)


def _column(path: Path, field: DataField) -> dict[str, Any]:
    name = field.printer_column if isinstance(field.printer_column, str) else field.name.replace("_", " ").title()
    info = field.info
    kind = info.kind
    if kind in ("enum", "literal") and info.choices:
        kind = "bool" if isinstance(info.choices[0], bool) else "int" if isinstance(info.choices[0], int) else "str"
    column = {"name": name, "type": COLUMN_TYPES.get(kind, "string"), "jsonPath": json_path(path)}
    if field.description:
        column["description"] = field.description
    return column


def _selectable(model: type, path: Path, field: DataField) -> dict[str, str]:
    if path[0] == "metadata" or field.info.kind not in _SELECTABLE_KINDS:
        raise TypeError(
            f"{model.__name__}.{field.name}: a selectable field must be a string, integer, boolean or enum "
            "outside metadata (metadata.name and metadata.namespace are always selectable)"
        )
    return {"jsonPath": json_path(path)}


def _custom_resource(model: type) -> ResourceType:
    resource = resource_of(model)
    if not resource.group or "." not in resource.group:
        raise TypeError(f"{model.__name__} is a built-in {resource.kind}, not a custom resource: it has no CRD")
    return resource


def _agreed(models: tuple[type, ...], options: list[CRDOptions], name: str) -> Any:
    """The value the models' Meta classes give an option; they must not disagree."""
    given = {m.__name__: getattr(o, name) for m, o in zip(models, options) if getattr(o, name)}
    if len(set(map(repr, given.values()))) > 1:
        raise TypeError(f"the versions disagree on Meta.{name}: {given}")
    return next(iter(given.values()), None)
