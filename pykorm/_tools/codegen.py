"""Models generated from CustomResourceDefinitions: the reverse of :func:`pykorm.crd`.

``model_source(crd)`` writes a Python module: one model class per version of the CRD,
with the direct properties of ``spec`` and ``status`` as fields (``Spec``/``Status``),
a :class:`pykorm.Nested` class for each nested object (``DictNestedField``, or
``ListField`` for an array of objects), ``Literal`` for enums, and the CRD's defaults,
required lists, descriptions, validation options, printer columns, selectable fields
and subresources as field arguments and ``Meta`` options. ``pykorm.crd`` on the
generated models gives back the CRD's schema (see the round-trip tests for what
"the same" means). What a model cannot carry is named in a ``# not carried over``
comment: an object's own options inside arrays, descriptions of array items...
"""

from __future__ import annotations

import json
import keyword
from typing import Any, Mapping

from .._schema.crd import COLUMN_TYPES, json_path
from ..models._model import NamespacedModel, Nested
from .._data.options import ITEM_OPTIONS, NON_EMPTY, OPTIONS
from .codegen_text import (
    WIDTH, assignment, attribute, call, docstring_fits, pascal, path_literal, py, singular, snake_case,
)

__all__ = ["model_source", "snake_case"]

# pykorm._tools.k8s_codegen writes its modules with the same text helpers, under these names.
_WIDTH, _attr, _call, _py = WIDTH, attribute, call, py


_CAMEL_OPTIONS = {camel: snake for snake, camel in OPTIONS.items()}
_WRAPPER_KEYS = {"type", "properties", "required", "description"}
_MODEL_RESERVED = {n for n in dir(NamespacedModel) if not n.startswith("_")} | {"Meta"}
_NESTED_RESERVED = {n for n in dir(Nested) if not n.startswith("_")}
_TAKEN_NAMES = {"Any", "Literal", "datetime", "pykorm", "DataField", "DictNestedField", "ListField", "Spec", "Status"}


def model_source(*manifests: Mapping[str, Any]) -> str:
    """The Python source of a module of typed models for ``manifests`` (CRD dicts).

    >>> source = model_source(yaml.safe_load(open("crds/peaches.pykorm.infomaniak.com.yaml")))
    >>> "class Peach(pykorm.NamespacedModel):" in source
    True
    """
    module = _Module()
    for manifest in manifests:
        module.add_crd(manifest)
    return module.source([m["metadata"]["name"] for m in manifests])


class _Field:
    """One generated field: its attribute, annotation, call and the JSON path it sits at."""

    def __init__(self, attr: str, annotation: str, func: str, args: list[str], path: tuple[str, ...],
                 kind: str, description: str | None, notes: list[str], nested: _Class | None) -> None:
        self.attr, self.annotation, self.func, self.args, self.path = attr, annotation, func, args, path
        self.kind, self.description, self.notes, self.nested = kind, description, notes, nested


class _Class:
    def __init__(self, name: str, base: str, doc: str | None) -> None:
        self.name, self.base, self.doc = name, base, doc
        self.fields: list[_Field] = []
        self.decorator: str | None = None
        self.meta: dict[str, Any] = {}
        self.notes: list[str] = []


class _Module:
    def __init__(self) -> None:
        self.classes: list[_Class] = []
        self.names = set(_TAKEN_NAMES)
        self.uses: set[str] = set()

    # -- a CRD ---------------------------------------------------------------------------

    def add_crd(self, manifest: Mapping[str, Any]) -> None:
        if manifest.get("kind") != "CustomResourceDefinition" or not isinstance(manifest.get("spec"), Mapping):
            what = f"{manifest.get('kind')} {(manifest.get('metadata') or {}).get('name')}"
            raise ValueError(f"not a CustomResourceDefinition with a spec: {what}")
        spec = manifest["spec"]
        names, versions = spec["names"], spec["versions"]
        kind = names["kind"]
        stored = next((v for v in versions if v.get("storage")), versions[0])
        for version in sorted(versions, key=lambda v: v is not stored):
            name = kind if version is stored else kind + pascal(version["name"])
            model = _Class(self._name(name, ""), "NamespacedModel" if spec.get("scope") == "Namespaced" else "ClusterModel",
                           None)
            if version is not stored or len(versions) > 1:
                model.meta["storage"] = version is stored
            self._model(model, spec, names, version)

    def _model(self, model: _Class, spec: Mapping[str, Any], names: Mapping[str, Any], version: Mapping[str, Any]) -> None:
        schema = version.get("schema", {}).get("openAPIV3Schema", {})
        kind = names["kind"]
        kind_arg = "" if model.name == kind else f", kind={py(kind)}"
        model.decorator = f"@pykorm.k8s_custom_object({py(spec['group'])}, {py(version['name'])}, {py(names['plural'])}{kind_arg})"
        description = schema.get("description")
        if docstring_fits(description):
            model.doc = description
        elif description:
            model.meta["description"] = description  # the docstring's first paragraph would not say it exactly
        properties = schema.get("properties", {})
        for key, prop in properties.items():
            if key in ("apiVersion", "kind", "metadata"):
                continue
            func = {"spec": "Spec", "status": "Status"}.get(key)
            if func and _is_wrapper(prop):
                required = set(prop.get("required", ()))
                for child, child_schema in prop["properties"].items():
                    self._field(model, func, key, child, child_schema, child in required, (key, child))
            else:
                self._field(model, "DataField", "", key, prop, key in schema.get("required", ()), (key,))
        if names.get("singular") and names["singular"] != kind.lower():
            model.meta["singular"] = names["singular"]
        for key, option in (("shortNames", "short_names"), ("categories", "categories")):
            if names.get(key):
                model.meta[option] = tuple(names[key])
        if names.get("listKind", f"{kind}List") != f"{kind}List":
            model.notes.append(f"listKind {names['listKind']}")
        if spec.get("conversion", {}).get("strategy", "None") != "None":
            model.notes.append(f"conversion strategy {spec['conversion']['strategy']}")
        if version.get("served", True) is False:
            model.meta["served"] = False
        if version.get("deprecated"):
            model.meta["deprecated"] = version.get("deprecationWarning") or True
        subresources = version.get("subresources") or {}
        has_status = any(f.path[0] == "status" for f in model.fields)
        if ("status" in subresources) != has_status:
            model.meta["status_subresource"] = "status" in subresources
        if "scale" in subresources:
            scale = subresources["scale"]
            model.meta["scale"] = {k: scale[c] for k, c in (("spec_replicas", "specReplicasPath"),
                                   ("status_replicas", "statusReplicasPath"), ("label_selector", "labelSelectorPath"))
                                   if c in scale}
        self._columns(model, version.get("additionalPrinterColumns") or ())
        self._selectable(model, version.get("selectableFields") or ())
        self.classes.append(model)

    def _columns(self, model: _Class, columns: Any) -> None:
        walk = list(_walk(model, ()))
        position, raw = -1, list[dict[str, Any]]()
        for column in columns:
            found = None if raw else next(
                ((i, f) for i, (path, f) in enumerate(walk) if i > position and json_path(path) == column["jsonPath"]),
                None)
            if found is not None and _column_fits(column, found[1]):
                position, field = found
                default = field.attr.replace("_", " ").title()
                field.args.append("printer_column=True" if column["name"] == default else f"printer_column={py(column['name'])}")
            else:
                raw.append(dict(column))
        if raw:
            model.meta["printer_columns"] = raw

    def _selectable(self, model: _Class, selectable: Any) -> None:
        by_path = {json_path(path): field for path, field in _walk(model, ())}
        for entry in selectable:
            field = by_path.get(entry["jsonPath"])
            if field is None:
                model.notes.append(f"selectable field {entry['jsonPath']}")
            else:
                field.args.append("selectable=True")

    # -- fields --------------------------------------------------------------------------

    def _field(self, owner: _Class, func: str, root: str, key: str, schema: Mapping[str, Any], required: bool,
               path: tuple[str, ...]) -> None:
        reserved = _MODEL_RESERVED if owner.base != "Nested" else _NESTED_RESERVED
        attr = attribute(key, reserved, {f.attr for f in owner.fields}, root)
        schema = dict(schema)
        notes: list[str] = []
        annotation, kind, nested, options = self._type(schema, key, owner.name, notes)
        nullable = options.pop("nullable", False)
        if kind == "nested" and nested is not None:
            func, args = "DictNestedField", [nested.name, path_literal(path)]  # these take the whole path
        elif kind == "list" and nested is not None and annotation == f"list[{nested.name}]":
            func, args = "ListField", [nested.name, path_literal(path)]
        else:
            args = [path_literal((key,))]
        self.uses.add(func)
        if required:
            args.append("required=True")
            implied = _CAMEL_OPTIONS[NON_EMPTY[kind]] if kind in NON_EMPTY else None
            if implied and options.get(implied, 0) == 1:
                del options[implied]  # pykorm's required means non-empty: the CRD's minimum of 1
            elif implied and not options.get(implied):
                args.append("allow_empty=True")
        optional = nullable or (not required and "default" not in schema and func != "ListField")
        if "default" in schema:
            args.append(f"default={py(schema['default'])}")
        elif func == "ListField" and not required:
            args.append("default_factory=list")
        elif not required:
            args.append("default=None")
        if nullable:
            args.append("nullable=True")
        args += [f"{name}={py(value)}" for name, value in options.items()]
        description = schema.get("description")
        if description:
            args.append(f"description={py(description)}")
        field = _Field(attr, annotation + (" | None" if optional else ""), func, args, path, kind, description,
                       notes, nested if kind == "nested" else None)
        owner.fields.append(field)

    def _type(self, schema: dict[str, Any], key: str, parent: str, notes: list[str]) -> tuple[str, str, _Class | None, dict[str, Any]]:
        """Annotation, kind (as pykorm's describe() says), nested class, and the options left for the field."""
        consumed = {"type", "description", "default"}
        kind, nested = "", None
        options: dict[str, Any] = {}
        if schema.get("x-kubernetes-int-or-string") and "type" not in schema:
            annotation, kind = "int | str", "int_or_string"
            consumed.add("x-kubernetes-int-or-string")
        elif "type" not in schema and schema.get("x-kubernetes-preserve-unknown-fields"):
            annotation, kind = "Any", "any"
            consumed.add("x-kubernetes-preserve-unknown-fields")
            self.uses.add("Any")
        elif "enum" in schema and _enum_type(schema["enum"]) == schema.get("type"):
            annotation, kind = f"Literal[{', '.join(py(v) for v in schema['enum'])}]", "literal"
            consumed.add("enum")
            self.uses.add("Literal")
        elif schema.get("type") == "string" and schema.get("format") == "date-time":
            annotation, kind = "datetime.datetime", "datetime"
            consumed.add("format")
            self.uses.add("datetime")
        elif schema.get("type") in ("string", "integer", "number", "boolean"):
            kind = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}[schema["type"]]
            annotation = kind
        elif schema.get("type") == "array":
            consumed.add("items")
            items = dict(schema.get("items") or {})
            item, item_kind, nested, item_options = self._type(items, singular(key), parent, notes)
            annotation, kind = f"list[{item}{' | None' if items.get('nullable') else ''}]", "list"
            options.update(self._item_options(item_kind, item_options, items, notes, "items"))
        elif schema.get("type") == "object" and "properties" not in schema and isinstance(schema.get("additionalProperties"), Mapping):
            consumed.add("additionalProperties")
            values = dict(schema["additionalProperties"])
            item, item_kind, nested, item_options = self._type(values, singular(key), parent, notes)
            annotation, kind = f"dict[str, {item}{' | None' if values.get('nullable') else ''}]", "dict"
            options.update(self._item_options(item_kind, item_options, values, notes, "additionalProperties"))
        elif schema.get("type") == "object" and "properties" not in schema and schema.get("x-kubernetes-preserve-unknown-fields"):
            annotation, kind = "dict[str, Any]", "object"
            consumed.add("x-kubernetes-preserve-unknown-fields")
            self.uses.add("Any")
        elif schema.get("type") == "object":
            consumed |= {"properties", "required"}
            nested = self._nested(schema, key, parent)
            annotation, kind = nested.name, "nested"
        else:
            raise ValueError(f"cannot map the schema of {parent}.{key} to a Python type: {json.dumps(schema)[:200]}")
        for name, value in schema.items():
            if name in consumed:
                continue
            if name in _CAMEL_OPTIONS:
                options[_CAMEL_OPTIONS[name]] = value
            elif name.startswith("x-kubernetes-"):
                options["x_kubernetes_" + name[len("x-kubernetes-"):].replace("-", "_")] = value
            else:
                notes.append(name)
        return annotation, kind, nested, options

    def _item_options(self, kind: str, options: dict[str, Any], schema: Mapping[str, Any], notes: list[str],
                      where: str) -> dict[str, Any]:
        """The options of list items or dict values that a field can carry: those about single values."""
        carried = {k: v for k, v in options.items() if k in ITEM_OPTIONS and kind not in ("list", "dict")}
        options.pop("nullable", None)
        notes += [f"{where}.{k}" for k in options if k not in carried]
        if schema.get("description") and kind != "nested":
            notes.append(f"{where}.description")
        if "default" in schema:
            notes.append(f"{where}.default")
        return carried

    def _nested(self, schema: Mapping[str, Any], key: str, parent: str) -> _Class:
        doc = schema.get("description")
        nested = _Class(self._name(pascal(key), parent), "Nested", doc if docstring_fits(doc) else None)
        required = set(schema.get("required", ()))
        for child, child_schema in (schema.get("properties") or {}).items():
            self._field(nested, "DataField", "", child, child_schema, child in required, (child,))
        self.classes.append(nested)
        return nested

    def _name(self, wanted: str, parent: str) -> str:
        for candidate in (wanted, parent + wanted, *(f"{parent}{wanted}{i}" for i in range(2, 100))):
            if candidate not in self.names and not keyword.iskeyword(candidate):
                self.names.add(candidate)
                return candidate
        raise AssertionError("unreachable")

    # -- text ----------------------------------------------------------------------------

    def source(self, crd_names: list[str]) -> str:
        lines = [f'"""Models generated by `pykorm model` from the CustomResourceDefinition{"s" if len(crd_names) > 1 else ""} '
                 f'{", ".join(crd_names)}."""', "", "from __future__ import annotations", ""]
        standard = ["import datetime"] if "datetime" in self.uses else []
        typing_names = sorted(self.uses & {"Any", "Literal"})
        if typing_names:
            standard.append(f"from typing import {', '.join(typing_names)}")
        lines += standard + ([""] if standard else []) + ["import pykorm"]
        funcs = sorted(self.uses & {"DataField", "DictNestedField", "ListField", "Spec", "Status"})
        if funcs:
            lines.append(f"from pykorm.fields import {', '.join(funcs)}")
        for cls in self.classes:
            lines += ["", ""] + _class_lines(cls)
        return "\n".join(lines) + "\n"


def _class_lines(cls: _Class) -> list[str]:
    lines = [f"# not carried over from the CRD: {', '.join(cls.notes)}"] if cls.notes else []
    if cls.decorator:
        lines.append(cls.decorator)
    lines.append(f"class {cls.name}(pykorm.{cls.base}):")
    body: list[str] = []
    if cls.doc:
        body.append(f'    """{cls.doc}"""')
    if cls.meta:
        body += ([""] if body else []) + ["    class Meta:"]
        for key, value in cls.meta.items():
            body += assignment(f"        {key}", value)
    for field in cls.fields:
        if body and (field is cls.fields[0] or field.notes):
            body.append("")
        if field.notes:
            body.append(f"    # not carried over from the CRD: {', '.join(field.notes)}")
        body += call(f"    {field.attr}: {field.annotation} = {field.func}", field.args, "    ")
    return lines + (body or ["    pass"])


def _walk(cls: _Class, prefix: tuple[str, ...]) -> Any:
    """Fields with their full paths, through nested objects (the order pykorm.crd() lists columns in)."""
    for field in cls.fields:
        path = prefix + field.path
        yield path, field
        if field.nested is not None:
            yield from _walk(field.nested, path)


def _column_fits(column: Mapping[str, Any], field: _Field) -> bool:
    kind = field.kind
    if kind == "literal":
        kind = "str" if '"' in field.annotation else "int"
    extra = set(column) - {"name", "type", "jsonPath", "description"} - ({"priority"} if not column.get("priority") else set())
    return not extra and column.get("type") == COLUMN_TYPES.get(kind, "string") and \
        column.get("description") == field.description


def _is_wrapper(schema: Mapping[str, Any]) -> bool:
    """``spec``/``status`` whose properties become the model's own fields."""
    return schema.get("type") == "object" and bool(schema.get("properties")) and set(schema) <= _WRAPPER_KEYS


def _enum_type(values: list[Any]) -> str | None:
    types = {"boolean" if isinstance(v, bool) else {str: "string", int: "integer", float: "number"}.get(type(v))
             for v in values}
    return types.pop() if len(types) == 1 else None
