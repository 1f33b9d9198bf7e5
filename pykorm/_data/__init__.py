"""A resource's data as Python declares it: fields, their types and options, the object core.

``types`` (annotation -> ``TypeInfo``), ``annotations`` (resolving a field's annotation, strings
and classes declared in one function included), ``options`` (field options), ``tracking``
(change-tracking containers), ``fields`` (the field descriptors; :mod:`pykorm.fields` is their
public face, in this layer), ``convert`` (a field's value between JSON and Python: nested views,
``NestedList``, datetimes, enums), ``objects`` (``_ObjectMeta`` collects fields, ``_Object`` holds the
JSON dict, ``Nested``), ``owners`` (``OwnerReference``), ``stored`` (``Stored``, the base of ``pykorm.Model``:
what the session uses of an object; ``adopt``'s checks).

May import: :mod:`pykorm._base`, :mod:`pykorm._http`, :mod:`pykorm.fields`.
"""
