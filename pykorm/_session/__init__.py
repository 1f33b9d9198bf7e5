"""The session: every request pykorm makes, written once as coroutines for both sessions.

``core`` (``SessionCore``: every verb as a coroutine over ``_send``/``_stream``/``_sleep``; waits,
``/scale``, ``/log``, exec), built on ``connections`` (clusters, transports, ``_request``, what each
cluster serves), ``reads`` (get, refresh, waiting until gone) and ``writes`` (save, apply, delete, the
one conflict-retry loop),
``session`` (``Pykorm``, the blocking session; the default session; ``session_of``; ``pk.cache``),
``blocking_verbs`` (``Pykorm``'s verbs beyond reads and writes, run to the end), ``verbs`` (the
verbs beyond reads and writes as coroutines, for both sessions: adopt, owners, model_for, pods_of,
apply_manifests),
``client`` (``ResourceClient``: the requests of queries, watches and bulk operations),
``pager`` and ``pages`` (one-snapshot paging, ``query.page``), ``statement`` (a query's
description: refining, ``explain``, no I/O), ``running`` (a statement run through its session:
listing, counting, pages, bulk, watches; for both sessions), ``query`` (``Query``: a statement with
the blocking running methods) and ``query_view`` (the refining methods shared by the async and
cached queries), ``watch`` (watches,
``wait_until``), ``bulk`` (bulk operations), ``subresources`` (``/scale``, ``/log``),
``manifests`` (reading manifests), ``crd_install`` (installing and uninstalling CRDs, waiting until served or gone),
``accounts`` (acting as a ServiceAccount: TokenRequest tokens, refreshed).

May import: :mod:`pykorm._base`, :mod:`pykorm._http`, :mod:`pykorm._data`, :mod:`pykorm._schema`,
:mod:`pykorm._select` (and :mod:`pykorm.fields`). Objects are typed as :class:`pykorm._data.stored.Stored`;
``io.SessionIO`` is what the client, pager, queries and watches await of a session. The imports up a
layer (the model of a kind, ``pk.cache``'s informers) are listed in tests/unit/test_architecture.py.
"""
