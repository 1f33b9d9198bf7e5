"""The session: every request pykorm makes, written once as coroutines for both sessions.

``core`` (``SessionCore``: reads and writes as coroutines over ``_send``/``_stream``/``_sleep``),
``session`` (``Pykorm``, the blocking session; the default session; ``session_of``), ``verbs``
(the verbs beyond reads and writes: adopt, owners, scale, logs, exec, apply_manifests, wait_gone),
``client`` (``ResourceClient``: the requests of queries, watches and bulk operations),
``pager`` and ``pages`` (one-snapshot paging, ``query.page``), ``query`` and ``query_view``
(``Query``; the refining methods shared by the async and cached queries), ``watch`` (watches,
``wait_until``), ``bulk`` (bulk operations), ``subresources`` (``/scale``, ``/log``),
``manifests`` (reading manifests), ``crd_install`` (installing and uninstalling CRDs, waiting until served or gone),
``accounts`` (acting as a ServiceAccount: TokenRequest tokens, refreshed).

May import: :mod:`pykorm._base`, :mod:`pykorm._http`, :mod:`pykorm._data`, :mod:`pykorm._schema`,
:mod:`pykorm._select` (and :mod:`pykorm.fields`). Objects are typed as :class:`pykorm._data.stored.Stored`;
``io.SessionIO`` is what the client, pager, queries and watches await of a session. The imports up a
layer (the model of a kind, ``pk.cache``'s informers) are listed in tests/unit/test_architecture.py.
"""
