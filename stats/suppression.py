"""Which cells of a statistics table to hide, so that no shown number, and no sum or difference
of shown numbers, tells anything about fewer than `minimum` people (SPEC R8.3).

A pure function of the numbers: no database, no Django. See `suppress`.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction

__all__ = ["determined_cells", "suppress"]


def suppress(
    people: Mapping[Hashable, int],
    *,
    minimum: int,
    totals: Iterable[tuple[Hashable, Sequence[Hashable]]] = (),
) -> set[Hashable]:
    """The keys of the cells to hide.

    `people` maps each cell that is shown to the number of people it counts (for a table of
    messages: the number of senders behind each cell, not the number of messages).
    `totals` lists the sums that are shown: `(total, parts)` says that the cell `total` is
    shown next to `parts` and equals their sum, perhaps plus an amount left out of the table
    (a total of all members next to the sign-ups of the last weeks only). The amount left out
    is taken to be known to the reader: the rule then errs on the side of hiding more.

    1. Primary suppression: every cell counting fewer than `minimum` people, zero included.
    2. Secondary suppression, for each shown total until nothing changes:
       - a total that is shown with hidden parts must hide at least two of them, and the
         hidden parts together must count at least `minimum` people (else the difference
         between the total and the shown parts would be that small number): the smallest shown
         part is hidden next, or the total itself when every part is hidden already;
       - a hidden total whose parts are all shown is their sum: the smallest part is hidden.
    3. An audit solves the shown totals as a system of linear equations: any hidden cell whose
       value still follows from them (through several totals at once, as in a table with row
       and column totals) gets one more cell hidden next to it, and rules 2 and 3 run again.

    Hidden cells are not told apart: a reader cannot see which were hidden for being small and
    which to protect another, so a hidden cell says nothing about its size.
    """
    if minimum < 1:
        raise ValueError("minimum must be 1 or more")
    order = {key: position for position, key in enumerate(people)}
    groups = [(total, tuple(parts)) for total, parts in totals]
    for total, parts in groups:
        for key in (total, *parts):
            if key not in order:
                raise KeyError(f"{key!r} is in a total but has no count")
        if total in parts or len(set(parts)) != len(parts):
            raise ValueError(f"the total {total!r} lists a cell twice")

    def size(key):  # smallest first; the order of `people` breaks ties, for repeatable results
        return (people[key], order[key])

    hidden = {key for key, count in people.items() if count < minimum}
    cannot_protect: set[Hashable] = set()
    while True:
        _hide_until_totals_are_safe(people, groups, hidden, minimum, size)
        leaking = [key for key in determined_cells(hidden, groups) if key not in cannot_protect]
        if not leaking:
            return hidden
        key = min(leaking, key=order.__getitem__)
        extra = _cell_to_hide_next_to(key, groups, hidden, size)
        if extra is None:
            # Every cell linked to it is hidden already; nothing more can be done. Cannot
            # happen for tables whose totals are true sums (see the tests); kept for safety.
            cannot_protect.add(key)
        else:
            hidden.add(extra)


def _hide_until_totals_are_safe(people, groups, hidden, minimum, size) -> None:
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            hidden_parts = [part for part in parts if part in hidden]
            shown_parts = [part for part in parts if part not in hidden]
            if total in hidden:
                needs_more = bool(shown_parts) and not hidden_parts
            elif not hidden_parts:
                needs_more = False
            else:
                hidden_people = sum(people[part] for part in hidden_parts)
                needs_more = len(hidden_parts) == 1 or hidden_people < minimum
            if needs_more:
                hidden.add(min(shown_parts, key=size) if shown_parts else total)
                changed = True


def _cell_to_hide_next_to(key, groups, hidden, size):
    """The smallest shown cell in a total that `key` takes part in (a part before a total);
    failing that, in any total linked to it through hidden cells."""
    linked = [group for group in groups if key in (group[0], *group[1])]
    seen_groups: set[int] = set()
    while linked:
        parts = [p for _total, ps in linked for p in ps if p not in hidden]
        if parts:
            return min(parts, key=size)
        shown_totals = [total for total, _ps in linked if total not in hidden]
        if shown_totals:
            return min(shown_totals, key=size)
        seen_groups.update(id(group) for group in linked)
        reached = {cell for total, ps in linked for cell in (total, *ps)}
        linked = [
            group
            for group in groups
            if id(group) not in seen_groups and reached & {group[0], *group[1]}
        ]
    return None


def determined_cells(hidden: set, totals: Iterable[tuple[Hashable, Sequence[Hashable]]]) -> set:
    """The hidden cells whose exact value follows from the shown cells and the totals (each
    `total = sum(parts) + a known amount`). Exact arithmetic (fractions): a cell is determined
    when its unit vector lies in the row space of the equations in the hidden cells."""
    groups = [(total, tuple(parts)) for total, parts in totals]
    unknowns: dict[Hashable, int] = {}
    for total, parts in groups:
        for key in (total, *parts):
            if key in hidden and key not in unknowns:
                unknowns[key] = len(unknowns)
    if not unknowns:
        return set()
    rows = []
    for total, parts in groups:
        row = [Fraction(0)] * len(unknowns)
        if total in hidden:
            row[unknowns[total]] += 1
        for part in parts:
            if part in hidden:
                row[unknowns[part]] -= 1
        if any(row):
            rows.append(row)
    pivots = _reduce(rows, len(unknowns))
    keys = list(unknowns)
    return {
        keys[column]
        for column, row in pivots
        if all(value == 0 for index, value in enumerate(row) if index != column)
    }


def _reduce(rows: list[list[Fraction]], width: int) -> list[tuple[int, list[Fraction]]]:
    """Reduced row echelon form: the (pivot column, row) pairs."""
    pivots: list[tuple[int, list[Fraction]]] = []
    remaining = [row[:] for row in rows]
    for column in range(width):
        found = next((row for row in remaining if row[column] != 0), None)
        if found is None:
            continue
        remaining.remove(found)
        scale = found[column]
        found = [value / scale for value in found]
        for row in remaining + [pivot_row for _c, pivot_row in pivots]:
            factor = row[column]
            if factor != 0:
                for index in range(width):
                    row[index] -= factor * found[index]
        pivots.append((column, found))
    return pivots
