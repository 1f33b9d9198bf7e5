"""The base layer: what every other layer uses and that knows nothing of HTTP, models or sessions.

``errors`` (every exception; the tree is in its docstring), ``paths`` (JSON paths into an
object's dict), ``patch`` (JSON merge patch), ``names`` (name rules, path segments), ``versions``
(pykorm's and the Kubernetes release it targets), ``gc`` (holding off the cyclic GC while a list
is wrapped), ``drive`` (running the engine's coroutines without an event loop), ``receipts``
(the object states a context's own writes produced), ``gates`` (checks and a deadline a context
puts on each request it sends: a reconcile past its timeout, a manager without its Lease).

May import: the standard library only.
"""
