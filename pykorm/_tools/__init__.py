"""Tools over the whole package: the ``pykorm`` command and the code generators.

``cli`` (``pykorm`` / ``python -m pykorm``), ``codegen`` (model source from CRDs),
``k8s_codegen`` (:mod:`pykorm.k8s` from the API server's OpenAPI v3).

May import: anything in pykorm (it is the top layer, with the package's ``__init__``).
"""
