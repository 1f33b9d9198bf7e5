"""The wire: requests to an API server and what identifies a resource there.

``retry`` (retry policy, timeouts, each request's budget and deadline), ``transport`` (HTTP
over urllib3: request building, answer decoding, typed errors, retry decisions), ``atransport``
(the same over aiohttp for :mod:`pykorm.aio`, sharing ``transport``'s logic), ``clusters``
(kubeconfig and in-cluster configuration), ``resource`` (``ResourceType``: a resource's
identity and URL paths).

May import: :mod:`pykorm._base`.
"""
