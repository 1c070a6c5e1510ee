"""Publishing counts about people: small cells shown as [c], and secondary suppression so that no
hidden cell can be worked out from what is shown.

Pure and generic: a caller names its cells (any hashable key), gives their counts, and lists
the sums the output shows or implies, each as ``(total, [parts])`` with ``total == sum(parts)``:
a breakdown of a total by sector, by concern and by gender is three such relations sharing one
total, whether or not the total is printed beside each breakdown (a reader can add up). Every
table of one output (a page, a pack, a file) is published in one call, so a cell hidden in one
table cannot be worked out from another.

The rule, as UK official statistics publish it:
- primary suppression: a count from 1 to ``threshold - 1`` is shown as ``[c]``; a 0 is shown;
- secondary suppression: while any hidden cell could be recovered by subtraction (or by any
  combination of the published sums), one more cell is hidden, the smallest published part of a
  sum that holds the exposed cell, a total only when no part is left.

"Could be recovered" is decided exactly: the published values turn each relation into a linear
equation over the hidden cells, and a hidden cell is recoverable when its unit vector lies in the
row space of those equations (reduced row echelon form over fractions: a pivot row with no other
entry). That covers the single subtraction (a row with one hidden cell and its total) and every
chain of them across tables.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

SUPPRESSED = "[c]"
DEFAULT_THRESHOLD = 5
#: The threshold a partnership may choose: 3 hides 1s and 2s; above 20 little would be left.
THRESHOLD_RANGE = (3, 20)


def footnote(threshold: int) -> str:
    """What ``[c]`` means, for the foot of every table or document that may show it."""
    return (
        f"{SUPPRESSED}: fewer than {threshold}, suppressed to protect individuals. "
        f"Where a hidden figure could be worked out from a total, another figure is shown as {SUPPRESSED} too."
    )


@dataclass(frozen=True)
class Shown:
    """One published cell: the count, or None when it is shown as [c]."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return SUPPRESSED if self.value is None else str(self.value)


@dataclass(frozen=True)
class Published:
    """An output's cells as they may be shown."""

    counts: Mapping[Hashable, int]
    suppressed: frozenset
    threshold: int

    def __getitem__(self, key: Hashable) -> Shown:
        return Shown(None if key in self.suppressed else self.counts[key])

    def value(self, key: Hashable) -> int | None:
        """The count, or None when hidden (for charts: no bar for a hidden cell)."""
        return self[key].value

    @property
    def any_suppressed(self) -> bool:
        return bool(self.suppressed)

    @property
    def footnote(self) -> str:
        return footnote(self.threshold)


Relation = tuple[Hashable, Sequence[Hashable]]


def publish(
    counts: Mapping[Hashable, int],
    relations: Iterable[Relation] = (),
    *,
    threshold: int,
    unpublished: Iterable[Hashable] = (),
) -> Published:
    """The counts with every cell that must be hidden marked (see the module's docstring)."""
    return Published(dict(counts), suppress(counts, relations, threshold=threshold, unpublished=unpublished), threshold)


def suppress(
    counts: Mapping[Hashable, int],
    relations: Iterable[Relation] = (),
    *,
    threshold: int,
    unpublished: Iterable[Hashable] = (),
) -> frozenset:
    """The keys of the cells to show as [c].

    ``unpublished`` cells are never shown; they carry a sum a reader can still form from shown
    cells (the cases at every stage add up to the cases known by a date, say), so that relations
    can join them (known at the end of one quarter = known at the end of the last + referrals)."""
    if threshold < 1:
        raise ValueError("the threshold must be 1 or more")
    relations = [(total, tuple(parts)) for total, parts in relations]
    for total, parts in relations:
        for key in (total, *parts):
            if key not in counts:
                raise ValueError(f"a relation names {key!r}, which has no count")
        if counts[total] != sum(counts[p] for p in parts):
            raise ValueError(f"{total!r} is not the sum of its parts")
    for key, n in counts.items():
        if n < 0:
            raise ValueError(f"{key!r} is negative")
    order = {key: index for index, key in enumerate(counts)}
    carriers = set(unpublished)
    hidden = {key for key, n in counts.items() if 0 < n < threshold} | carriers
    while True:
        # A carrier may well follow from what is shown (it is a sum of shown cells): only the
        # published cells hidden as [c] need protecting.
        exposed = recoverable(counts, relations, hidden) - carriers
        if not exposed:
            return frozenset(hidden)
        cell = min(exposed, key=order.__getitem__)
        partner = _partner(cell, counts, relations, hidden, order)
        if partner is None:  # nothing left to hide beside it: hide the cell's whole component
            return frozenset(hidden | _component(cell, relations))
        hidden.add(partner)


def recoverable(counts: Mapping[Hashable, int], relations: Sequence[Relation], hidden: set) -> set:
    """The hidden cells whose value follows from the published cells and relations."""
    unknowns = sorted({k for total, parts in relations for k in (total, *parts) if k in hidden}, key=repr)
    if not unknowns:
        return set()
    column = {key: index for index, key in enumerate(unknowns)}
    rows = []
    for total, parts in relations:
        row = [Fraction(0)] * len(unknowns)
        for key, sign in ((total, -1), *((p, 1) for p in parts)):
            if key in hidden:
                row[column[key]] += sign
        if any(row):
            rows.append(row)
    pivots = _reduce(rows)
    return {unknowns[col] for row, col in pivots if sum(1 for x in row if x) == 1}


def _reduce(rows: list[list[Fraction]]) -> list[tuple[list[Fraction], int]]:
    """Reduced row echelon form in place; each non-zero row with its pivot column."""
    pivots: list[tuple[int, int]] = []
    width = len(rows[0]) if rows else 0
    r = 0
    for col in range(width):
        pick = next((i for i in range(r, len(rows)) if rows[i][col]), None)
        if pick is None:
            continue
        rows[r], rows[pick] = rows[pick], rows[r]
        lead = rows[r][col]
        rows[r] = [x / lead for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][col]:
                factor = rows[i][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append((r, col))
        r += 1
    return [(rows[i], col) for i, col in pivots]


def _partner(cell, counts, relations, hidden, order):
    """The cell to hide beside an exposed one: the smallest published non-zero part of a sum that
    holds it, else a total, else (all of those hidden or zero) any published cell linked to it."""

    def best(keys):
        keys = [k for k in keys if k not in hidden]
        if not keys:
            return None
        non_zero = [k for k in keys if counts[k]] or keys
        return min(non_zero, key=lambda k: (counts[k], order[k]))

    holding = [(t, p) for t, p in relations if cell == t or cell in p]
    for choose in (
        lambda: best([k for _, parts in holding for k in parts]),
        lambda: best([t for t, _ in holding]),
        lambda: best(list(_component(cell, relations))),
    ):
        found = choose()
        if found is not None:
            return found
    return None


def _component(cell, relations) -> set:
    """Every cell joined to ``cell`` through relations."""
    seen, todo = {cell}, [cell]
    while todo:
        key = todo.pop()
        for total, parts in relations:
            members = (total, *parts)
            if key in members:
                for other in members:
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
    return seen
