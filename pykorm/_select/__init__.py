"""Selecting objects: lookups, their plan, ordering. Pure functions of model classes, no I/O.

``selectors`` (label and field selector syntax: rendering terms, parsing strings), ``lookups``
(``price__gt=2`` and ``Q`` trees, resolved against a model's fields; one ``filter()``'s conditions
on a list grouped on one element), ``conditions`` (the resolved ``Leaf``/``Node`` trees and their
evaluation on an object's JSON), ``compiled`` (a resolved filter compiled into one function, for a
cache's loops), ``plan`` (the split between
what the server selects and what Python checks), ``ordering`` (reading values by lookup,
sort keys).

May import: :mod:`pykorm._base`, :mod:`pykorm._http`, :mod:`pykorm._data` (and :mod:`pykorm.fields`).
"""
