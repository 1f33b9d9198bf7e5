"""Schemas: pure functions from model classes to the API server's schemas, and back.

``openapi`` (reading the schema the server serves), ``schema`` (OpenAPI schemas of fields),
``validation`` (checking an object against its fields and the served schema), ``crd``
(CustomResourceDefinitions from models), ``rbac`` (the RBAC rules a set of models needs). No I/O.

May import: :mod:`pykorm._base`, :mod:`pykorm._http`, :mod:`pykorm._data` (and :mod:`pykorm.fields`).
"""
