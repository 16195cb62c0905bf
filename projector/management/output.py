"""Delivery: plain-text tables and JSON for the sync engine's management commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from projector.documents import to_jsonable


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 60) -> str:
    """Columns padded to their widest cell (cut at ``max_width``), a rule under the headers."""
    cells = [[_cell(value, max_width) for value in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
    lines = ["  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def as_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, sort_keys=True)


def _cell(value: Any, max_width: int) -> str:
    text = "" if value is None else str(to_jsonable(value))
    text = " ".join(text.split())
    return text if len(text) <= max_width else text[: max_width - 1] + "…"
