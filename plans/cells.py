"""List cells: the source documents hold several short items per cell, one per line or bullet."""

import re

from core.vocab import Rag
from plans.templates import FIELDS

_BULLET = re.compile(r"^\s*(?:[\u2022\u00b7\u25cf\u25aa\u2023\u2043\u25e6*-]|\d+[.)])\s+")


def split_items(text: str | None) -> list[str]:
    """Items from a cell or a text box: one per line, bullets and numbering removed."""
    if not text:
        return []
    items = []
    for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _BULLET.sub("", line).strip()
        if line:
            items.append(line)
    return items


def join_items(items: list[str] | None) -> str:
    """The text-box form of a list cell: one item per line."""
    return "\n".join(items or [])


def split_marked(text: str | None) -> tuple[list[str], list[str]]:
    """Items from a cell, and each item's list marker as the file wrote it ("- ", "\u2022 ", "1. ");
    the markers are [] when no line has one, so a plain cell stores nothing extra."""
    items, markers = [], []
    for line in str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        match = _BULLET.match(line)
        marker = match.group(0) if match else ""
        item = line[len(marker) :].strip()
        if item:
            items.append(item)
            markers.append(marker)
    return items, (markers if any(markers) else [])


def join_marked(items: list[str] | None, markers: list[str] | None = None) -> str:
    """A list cell as a spreadsheet holds it: one item per line, each with its marker if it had one."""
    items = list(items or [])
    markers = list(markers or [])
    if len(markers) != len(items):
        markers = [""] * len(items)
    return "\n".join(marker + item for marker, item in zip(markers, items, strict=True))


def text_lines(text: str | None) -> str:
    """A text cell: its lines kept (each trimmed), blank lines dropped."""
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.strip() for line in lines if line.strip())


def cell_text(row, name: str, latest=None) -> str:
    """A plan cell as a spreadsheet holds it and as a re-import reads it back: list items one
    per line with their markers, text and extra columns as written, the RAG by its label, the
    due date as dd/mm/yyyy. ``latest`` is the row's latest progress entry (the Progress cell)."""
    if name == "progress":
        return join_marked(latest.items, latest.markers) if latest else ""
    if name == "rag":
        return Rag(row.rag).label if row.rag else ""
    if name == "due_date":
        return row.due_date.strftime("%d/%m/%Y") if row.due_date else ""
    value = row.value(name)
    if name in FIELDS and FIELDS[name][1] == "list":
        return join_marked(value, (row.markers or {}).get(name))
    return value or ""
