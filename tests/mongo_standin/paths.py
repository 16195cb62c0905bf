"""Stand-in core: dotted field paths — reading with array traversal, and in-place writing for updates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.mongo_standin.errors import CommandError


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def split(path: str) -> list[str]:
    return path.split(".")


def resolve(value: Any, parts: list[str], index: int = 0) -> Iterator[Any]:
    """Yield every value the path reaches, descending into arrays as queries do; MISSING where it ends."""
    if index == len(parts):
        yield value
        return
    part = parts[index]
    if isinstance(value, dict):
        if part in value:
            yield from resolve(value[part], parts, index + 1)
        else:
            yield MISSING
    elif isinstance(value, list):
        found = False
        if part.isdigit():
            position = int(part)
            if position < len(value):
                found = True
                yield from resolve(value[position], parts, index + 1)
        for element in value:
            if isinstance(element, dict):
                found = True
                yield from resolve(element, parts, index)
        if not found:
            yield MISSING
    else:
        yield MISSING


def get_plain(value: Any, parts: list[str]) -> Any:
    """The value at the path without array expansion (numeric parts index arrays); MISSING if absent."""
    for part in parts:
        if isinstance(value, dict):
            if part not in value:
                return MISSING
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


class PathNotViableError(CommandError):
    code = 28


def _container_for(doc: dict[str, Any], parts: list[str], create: bool) -> Any:
    node: Any = doc
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            if part not in node:
                if not create:
                    return MISSING
                node[part] = {}
            child = node[part]
        elif isinstance(node, list) and part.isdigit():
            position = int(part)
            if position >= len(node):
                if not create:
                    return MISSING
                node.extend([None] * (position + 1 - len(node)))
            if node[position] is None and create:
                node[position] = {}
            child = node[position]
        else:
            if not create:
                return MISSING
            raise PathNotViableError(
                f"Cannot create field '{part}' in element {{{parts[depth - 1] if depth else ''}: {node!r}}}"
            )
        if not isinstance(child, (dict, list)):
            if not create:
                return MISSING
            raise PathNotViableError(
                f"Cannot create field '{parts[depth + 1]}' in element {{{part}: {child!r}}}"
            )
        node = child
    return node


def set_path(doc: dict[str, Any], parts: list[str], value: Any) -> None:
    node = _container_for(doc, parts, create=True)
    last = parts[-1]
    if isinstance(node, dict):
        node[last] = value
    elif last.isdigit():
        position = int(last)
        if position >= len(node):
            node.extend([None] * (position + 1 - len(node)))
        node[position] = value
    else:
        raise PathNotViableError(f"Cannot create field '{last}' in an array")


def unset_path(doc: dict[str, Any], parts: list[str]) -> bool:
    node = _container_for(doc, parts, create=False)
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = None
        return True
    return False
