"""List cells: the source documents hold several short items per cell, one per line or bullet."""

import re

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
