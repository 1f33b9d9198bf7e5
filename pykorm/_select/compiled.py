"""A resolved filter compiled into one Python function, for running it on many objects (a cache's).

:meth:`Leaf.matcher` and :meth:`Node.matcher` make a closure per node: a call per lookup and
per ``and``/``or`` for every object. :func:`compiled` writes the whole tree as one expression
instead, the common lookups inlined — a path read by indexing, then ``==`` a string, or a
comparison with a number — the way a filter over dicts is written by hand:

    >>> compiled(where)  # def _fast(raw): return raw["spec"]["placement"]["region"] == c0 and ...

Where a path is missing or crosses something that is not an object, the inlined reading raises
and the function answers with the tree's own :attr:`matcher` for that object, so the answers are
:meth:`Node.matches`'s. Other lookups (lists, ``in``, ``regex``, ``same`` groups...) are called
as their own matchers from the expression.
"""

from __future__ import annotations

from typing import Any, Callable

from .conditions import Leaf, Node

__all__ = ["compiled"]

Raw = dict[str, Any]

_COMPARE = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def compiled(where: Node | Leaf) -> Callable[[Raw], bool]:
    """``where.matcher`` as one function (see the module's docstring); the same answers."""
    env: dict[str, Any] = {"_slow": where.matcher, "_numbers": (int, float)}
    expression = _expression(where, env)
    source = (f"def _fast(raw):\n    try:\n        return {expression}\n"
              "    except (KeyError, TypeError, IndexError):\n        return _slow(raw)\n")
    exec(compile(source, "<pykorm filter>", "exec"), env)  # noqa: S102 - made only of names and str keys' reprs
    fast: Callable[[Raw], bool] = env["_fast"]
    return fast


def _name(env: dict[str, Any], value: Any) -> str:
    name = f"_c{len(env)}"
    env[name] = value
    return name


def _expression(where: Node | Leaf, env: dict[str, Any]) -> str:
    if isinstance(where, Leaf):
        return _leaf(where, env)
    if where.op in ("and", "or"):
        return "(" + f" {where.op} ".join(_expression(child, env) for child in where.children) + ")"
    if where.op == "not":
        return f"(not {_expression(where.children[0], env)})"
    return f"{_name(env, where.matcher)}(raw)"  # a same-element group


def _leaf(leaf: Leaf, env: dict[str, Any]) -> str:
    """The inlined test of ``leaf`` (exact string, or comparison with a number), else a call of its matcher."""
    op, want = leaf.op, leaf.value
    inline = not leaf.list_at and leaf.path and all(type(key) is str for key in leaf.path)
    if inline and op == "exact" and isinstance(want, str):
        return f"({_read(leaf)} == {_name(env, want)})"
    if inline and op in _COMPARE and type(want) in (int, float):
        value = f"_v{len(env)}"
        env[value] = None  # reserves the name's number
        return f"(type({value} := {_read(leaf)}) in _numbers and {value} {_COMPARE[op]} {_name(env, want)})"
    return f"{_name(env, leaf.matcher)}(raw)"


def _read(leaf: Leaf) -> str:
    return "raw" + "".join(f"[{key!r}]" for key in leaf.path)
