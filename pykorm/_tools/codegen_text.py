"""Python source text for generated modules: literals, calls and assignments wrapped at the line width, and the
names a JSON key becomes (snake_case attributes, PascalCase classes, singular item classes)."""

from __future__ import annotations

import json
import keyword
import re
from typing import Any

__all__ = ["WIDTH", "assignment", "attribute", "call", "docstring_fits", "pascal", "path_literal", "py", "singular",
           "snake_case"]


WIDTH = 110


def assignment(head: str, value: Any) -> list[str]:
    """``name = value``, over several lines when long: a list item or a string chunk per line."""
    line = f"{head} = {py(value)}"
    if len(line) <= WIDTH:
        return [line]
    inner = " " * (len(head) - len(head.lstrip()) + 4)
    if isinstance(value, str):
        return [f"{head} = ("] + [inner + chunk for chunk in _chunks(value, len(inner))] + [f"{inner[:-4]})"]
    if isinstance(value, (list, tuple)):
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        return [f"{head} = {opening}"] + [f"{inner}{py(v)}," for v in value] + [f"{inner[:-4]}{closing}"]
    if isinstance(value, dict):
        return [f"{head} = {{"] + [f"{inner}{py(k)}: {py(v)}," for k, v in value.items()] + [f"{inner[:-4]}}}"]
    return [line]


def call(head: str, args: list[str], indent: str) -> list[str]:
    line = f"{head}({', '.join(args)})"
    if len(line) <= WIDTH:
        return [line]
    inner = indent + "    "
    out = [f"{head}("]
    for arg in args:
        name, _, value = arg.partition("=") if re.match(r"^\w+=", arg) else ("", "", arg)
        text = f"{inner}{arg},"
        if len(text) > WIDTH and name and value.startswith('"'):
            out += [f"{inner}{name}=("] + [f"{inner}    {chunk}" for chunk in _chunks(json.loads(value), len(inner) + 4)]
            out.append(f"{inner}),")
        else:
            out.append(text)
    return out + [f"{indent})"]


def _chunks(text: str, indent: int) -> list[str]:
    """A long string as adjacent literals that fit the line width (their concatenation is ``text``)."""
    width = max(40, WIDTH - indent - 2)
    chunks, current = [], ""
    for word in re.split(r"(?<=\s)", text):
        if current and len(json.dumps(current + word, ensure_ascii=False)) > width:
            chunks.append(current)
            current = ""
        current += word
    chunks.append(current)
    return [json.dumps(chunk, ensure_ascii=False) for chunk in chunks]


def docstring_fits(text: Any) -> bool:
    """True when a one-line docstring says ``text`` exactly (as its first paragraph, on one line)."""
    return isinstance(text, str) and bool(text) and "\n" not in text and text == text.strip() \
        and '"""' not in text and "\\" not in text


def path_literal(keys: tuple[str, ...]) -> str:
    """A field's path argument: ``"spec.score"``, or a list when a key holds a dot."""
    return py(list(keys)) if any("." in k for k in keys) else py(".".join(keys))


_WORDS = re.compile(r"""
      [A-Z]{2,}s(?![a-z])       # an acronym in the plural: IPs, URLs, CIDRs (podIPs: pod, ips)
    | [A-Z]{2,}v\d+(?![a-z])    # an acronym and its version: IPv6
    | [A-Z]+(?=V\d)             # an acronym before a version: openAPIV3Schema: open, api, v3, schema
    | [A-Z]+(?=[A-Z][a-z])      # an acronym before a word: APIVersion, CPUUtilization
    | [A-Z]+\d*(?![a-z])        # an acronym at the end or before digits: podIP, hostIPC, V3
    | [A-Z]?[a-z][a-z0-9]*      # a word, lower or capitalised, its digits with it: pod, Status, v1beta1
    | \d[a-z0-9]*              # digits first, and what follows them: 3d
""", re.VERBOSE)


def snake_case(key: str) -> str:
    """The Python name of a JSON key: its camelCase words, lower case, joined by ``_``.

    A run of capitals is one word (an acronym): ``containerID`` → ``container_id``, ``hostIPC`` →
    ``host_ipc``, ``APIVersion`` → ``api_version`` (the last capital starts the next word), with its
    plural ``s``: ``podIPs`` → ``pod_ips``, ``nonResourceURLs`` → ``non_resource_urls``. Characters
    other than letters and digits separate words (``x-kubernetes-list-type``); "" when there is none.
    """
    return "_".join(word.lower() for part in re.split(r"[^0-9A-Za-z]+", key) for word in _WORDS.findall(part))


def attribute(key: str, reserved: set[str], used: set[str], root: str) -> str:
    name = snake_case(key) or "field"
    if name[0].isdigit():
        name = "f_" + name
    candidates = [name, f"{root}_{name}" if root else name + "_", *(f"{name}_{i}" for i in range(2, 100))]
    for candidate in candidates:
        if candidate not in reserved and candidate not in used and not keyword.iskeyword(candidate):
            return candidate
    raise AssertionError("unreachable")


def pascal(key: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", key)
    name = "".join(w[:1].upper() + w[1:] for w in words if w)
    return name if name and not name[0].isdigit() else "N" + name


def singular(key: str) -> str:
    if key.endswith("ies"):
        return key[:-3] + "y"
    if key.endswith(("sses", "xes", "ches", "shes")):
        return key[:-2]
    if key.endswith("s") and not key.endswith("ss"):
        return key[:-1]
    return key + "Item"


def py(value: Any) -> str:
    """A Python literal for a JSON value (strings in double quotes)."""
    if isinstance(value, str):
        if "\\" in value and '"' not in value and "\n" not in value and not value.endswith("\\") and value.isprintable():
            return f'r"{value}"'  # a pattern reads as written
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
