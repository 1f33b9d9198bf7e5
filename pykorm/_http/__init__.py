"""The wire: requests to an API server and what identifies a resource there.

``retry`` (retry policy, timeouts, each request's budget and deadline), ``answers`` (an answer's
decoded JSON or typed error, its warnings), ``transport`` (HTTP over urllib3: request building,
retry decisions), ``atransport``
(the same over aiohttp for :mod:`pykorm.aio`, sharing ``transport``'s logic), ``clusters``
(kubeconfig and in-cluster configuration), ``resource`` (``ResourceType``: a resource's
identity and URL paths), ``channels`` (the websocket exec protocol's frames and statuses, pure) and
``wsexec`` (an exec over a websocket, blocking; ``pykorm.aio`` runs it in a thread).

May import: :mod:`pykorm._base`.
"""
