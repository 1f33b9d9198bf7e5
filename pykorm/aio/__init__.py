"""pykorm for asyncio: the same model classes, an async session and async queries.

    >>> from pykorm.aio import AsyncPykorm
    >>> async with AsyncPykorm() as pk:
    ...     await pk.save(Peach(namespace="shop", name="cake-peach", variety="Frost"))
    ...     async for peach in pk.query(Peach).ns("shop").filter(price__gt=2): ...

Writes, reads, lookups, plans, validation, hydration, paging, watches and retries are the
blocking session's own code (:mod:`pykorm._session.core`, :mod:`pykorm._base.drive`); only the transport
differs (aiohttp). Needs the ``aio`` extra: ``pip install pykorm[aio]``.
"""

from __future__ import annotations

from ._query import AsyncQuery
from ._session import AsyncPykorm
from .._base.public import show_as

__all__ = ["AsyncPykorm", "AsyncQuery"]

show_as(__name__, __all__, globals())
