"""R8.3: the suppression rule on its own (stats.suppression.suppress, a pure function): no
shown cell counts fewer than the minimum, and no hidden cell follows from the totals shown."""

import random

import pytest

from stats import suppression
from stats.suppression import determined_cells, suppress

MIN = 10


def one_way(counts: dict) -> tuple[dict, list]:
    """A table of groups with its total: (people, totals) for `suppress`."""
    people = {**counts, "total": sum(counts.values())}
    return people, [("total", list(counts))]


def two_way(matrix: list[list[int]]) -> tuple[dict, list]:
    """Rows and columns with their totals and the grand total, keys (r, c) with "T" for a
    total: (people, totals)."""
    rows, columns = range(len(matrix)), range(len(matrix[0]))
    people = {(r, c): matrix[r][c] for r in rows for c in columns}
    for r in rows:
        people[(r, "T")] = sum(matrix[r])
    for c in columns:
        people[("T", c)] = sum(matrix[r][c] for r in rows)
    people[("T", "T")] = sum(map(sum, matrix))
    totals = [((r, "T"), [(r, c) for c in columns]) for r in rows]
    totals += [(("T", c), [(r, c) for r in rows]) for c in columns]
    totals += [(("T", "T"), [(r, "T") for r in rows]), (("T", "T"), [("T", c) for c in columns])]
    return people, totals


# -- primary suppression -----------------------------------------------------------------------


def test_without_totals_only_cells_under_the_minimum_are_hidden():
    hidden = suppress({"a": 9, "b": 10, "c": 0, "d": 250}, minimum=MIN)

    assert hidden == {"a", "c"}


def test_zero_is_hidden_like_any_small_number():
    assert suppress({"monday": 0}, minimum=MIN) == {"monday"}


def test_a_cell_of_exactly_the_minimum_is_shown():
    assert suppress({"a": 10}, minimum=MIN) == set()


def test_the_minimum_comes_from_the_caller():
    assert suppress({"a": 4, "b": 5}, minimum=5) == {"a"}


def test_a_minimum_below_one_is_refused():
    with pytest.raises(ValueError):
        suppress({"a": 4}, minimum=0)


def test_a_total_naming_an_unknown_cell_is_refused():
    with pytest.raises(KeyError):
        suppress({"a": 4, "total": 4}, minimum=MIN, totals=[("total", ["a", "b"])])


# -- secondary suppression next to a total -----------------------------------------------------


def test_one_small_cell_next_to_a_total_takes_the_next_smallest_with_it():
    """12 in one province and 3 in another, with the total 40 shown: without hiding a second
    cell the 3 would be 40 - 12 - 25."""
    people, totals = one_way({"utrecht": 12, "zeeland": 3, "flanders": 25})

    hidden = suppress(people, minimum=MIN, totals=totals)

    assert hidden == {"zeeland", "utrecht"}
    assert "total" not in hidden


def test_two_small_cells_that_together_count_fewer_than_the_minimum_take_a_third():
    """4 and 3 hidden next to a total: the reader would know those two groups together hold 7
    people. A third cell is hidden too."""
    people, totals = one_way({"a": 4, "b": 3, "c": 30, "d": 15})

    hidden = suppress(people, minimum=MIN, totals=totals)

    assert hidden == {"a", "b", "d"}


def test_two_small_cells_that_together_reach_the_minimum_are_enough():
    people, totals = one_way({"a": 6, "b": 5, "c": 30})

    assert suppress(people, minimum=MIN, totals=totals) == {"a", "b"}


def test_a_small_total_is_hidden_with_every_part():
    people, totals = one_way({"a": 4, "b": 3})

    assert suppress(people, minimum=MIN, totals=totals) == {"a", "b", "total"}


def test_a_total_next_to_only_hidden_parts_that_reach_the_minimum_stays():
    people, totals = one_way({"a": 4, "b": 3, "c": 5})

    assert suppress(people, minimum=MIN, totals=totals) == {"a", "b", "c"}


def test_the_total_itself_goes_when_no_part_is_left_to_hide():
    """The total counts more than its parts (members who joined before the weeks shown): all
    the weeks are hidden and together hold 7 people. The reader, who may know the rest,
    would learn those 7: the total is hidden."""
    people = {"week1": 3, "week2": 4, "all": 500}

    hidden = suppress(people, minimum=MIN, totals=[("all", ["week1", "week2"])])

    assert hidden == {"week1", "week2", "all"}


def test_a_hidden_total_with_every_part_shown_takes_a_part_with_it():
    """A total hidden for another total's sake (it is a part there) would still be the sum of
    its own parts, all shown: one of them is hidden too."""
    people = {"a": 20, "b": 30, "grand": 50, "z": 3, "super": 53}
    totals = [("super", ["grand", "z"]), ("grand", ["a", "b"])]

    hidden = suppress(people, minimum=MIN, totals=totals)

    assert hidden == {"z", "grand", "a"}
    assert not determined_cells(hidden, totals)


def test_ties_are_broken_by_the_order_of_the_cells():
    people, totals = one_way({"a": 3, "b": 20, "c": 20})

    assert suppress(people, minimum=MIN, totals=totals) == {"a", "b"}


def test_the_same_numbers_give_the_same_cells_every_time():
    people, totals = two_way([[3, 14, 22], [17, 12, 40], [30, 2, 11]])

    assert suppress(people, minimum=MIN, totals=totals) == suppress(
        people, minimum=MIN, totals=totals
    )


# -- two-way tables with row, column and grand totals --------------------------------------------


def test_one_small_cell_of_a_two_way_table_takes_a_rectangle_with_it():
    people, totals = two_way([[3, 14, 22], [17, 12, 40], [30, 25, 11]])

    hidden = suppress(people, minimum=MIN, totals=totals)

    assert (0, 0) in hidden
    # Row 0 and column 0 each hide a second cell, and so on until no row or column with a
    # shown total has exactly one hidden cell.
    for r in range(3):
        in_row = [c for c in range(3) if (r, c) in hidden]
        assert len(in_row) != 1
    for c in range(3):
        in_column = [r for r in range(3) if (r, c) in hidden]
        assert len(in_column) != 1
    assert not determined_cells(hidden, totals)
    assert ("T", "T") not in hidden


def test_small_row_total_is_hidden_and_protected_in_the_column_of_totals():
    people, totals = two_way([[2, 3, 1], [17, 12, 40], [30, 25, 11]])

    hidden = suppress(people, minimum=MIN, totals=totals)

    assert {(0, 0), (0, 1), (0, "T")} <= hidden
    # The row total 6 is hidden: another row total goes with it, else 6 = grand - the others.
    assert (1, "T") in hidden or (2, "T") in hidden
    assert not determined_cells(hidden, totals)


def test_the_audit_finds_a_cell_that_several_totals_together_reveal():
    """Two hidden rectangles are safe. Two rectangles joined by one more hidden cell leave
    every row and column with two or more hidden cells, yet the joining cell follows from the
    totals: the rule "at least two per total" is not enough, the equations are."""
    # Two rectangles: rows 1-2 / columns 1-2, and rows 0 and 3 / columns 0 and 3.
    pattern = {(1, 1), (1, 2), (2, 1), (2, 2), (0, 0), (0, 3), (3, 0), (3, 3)}
    _people, totals = two_way([[1] * 4 for _ in range(4)])
    assert not determined_cells(pattern, totals)
    # Rows 0-1 / columns 0-1 and rows 2-3 / columns 2-3, joined by (1, 2).
    bridged = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}
    assert (1, 2) in determined_cells(bridged, totals)


def test_a_cell_the_per_total_rule_leaves_computable_is_protected_by_the_audit():
    """A table where hiding by the per-total rule alone (rule 2) leaves a hidden cell that
    the row and column totals together reveal; the audit (rule 3) hides more until none is."""
    matrix = [
        [11, 15, 0, 30, 200, 200],
        [15, 200, 200, 10, 1, 10],
        [1, 9, 9, 15, 200, 10],
        [80, 200, 15, 9, 11, 0],
        [11, 30, 80, 200, 15, 200],
    ]
    people, totals = two_way(matrix)
    order = {key: position for position, key in enumerate(people)}
    by_rule_2 = {key for key, count in people.items() if count < MIN}
    suppression._hide_until_totals_are_safe(
        people, totals, by_rule_2, MIN, lambda key: (people[key], order[key])
    )
    assert determined_cells(by_rule_2, totals)  # the case this test is about

    hidden = suppress(people, minimum=MIN, totals=totals)

    assert not determined_cells(hidden, totals)
    assert by_rule_2 < hidden


# -- properties over many random tables --------------------------------------------------------


def on_a_cycle(hidden: set, rows: int, columns: int) -> set:
    """Hidden cells of a two-way table with totals that lie on a cycle of hidden cells (rows
    and columns, totals included, as the nodes of a graph): exactly the cells that cannot be
    worked out (an independent check of `determined_cells`)."""
    edges = [cell for cell in hidden]
    safe = set()
    for edge in edges:
        graph: dict = {}
        for other in edges:
            if other == edge:
                continue
            r, c = other
            graph.setdefault(("row", r), set()).add(("column", c))
            graph.setdefault(("column", c), set()).add(("row", r))
        start, goal = ("row", edge[0]), ("column", edge[1])
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for near in graph.get(node, ()):
                if near not in seen:
                    seen.add(near)
                    todo.append(near)
        if goal in seen:
            safe.add(edge)
    return safe


@pytest.mark.parametrize("seed", range(150))
def test_random_two_way_tables_show_nothing_small_and_reveal_nothing(seed):
    rng = random.Random(seed)
    rows, columns = rng.randint(2, 5), rng.randint(2, 7)
    matrix = [
        [rng.choice([0, 1, 2, 5, 9, 10, 11, 15, 30, 80, 200]) for _ in range(columns)]
        for _ in range(rows)
    ]
    people, totals = two_way(matrix)

    hidden = suppress(people, minimum=MIN, totals=totals)

    shown = {key: count for key, count in people.items() if key not in hidden}
    assert all(count >= MIN for count in shown.values())
    assert not determined_cells(hidden, totals)
    assert on_a_cycle(hidden, rows, columns) == hidden
    for total, parts in totals:
        hidden_parts = [part for part in parts if part in hidden]
        if total not in hidden and hidden_parts:
            assert len(hidden_parts) >= 2
            assert sum(people[part] for part in hidden_parts) >= MIN


@pytest.mark.parametrize("seed", range(100))
def test_random_one_way_tables_with_a_total(seed):
    rng = random.Random(seed)
    counts = {f"g{n}": rng.choice([0, 1, 3, 8, 10, 12, 40]) for n in range(rng.randint(1, 8))}
    people, totals = one_way(counts)

    hidden = suppress(people, minimum=MIN, totals=totals)

    assert all(people[key] >= MIN for key in people if key not in hidden)
    parts = [key for key in counts if key in hidden]
    if "total" not in hidden and parts:
        assert len(parts) >= 2 and sum(people[key] for key in parts) >= MIN
    if "total" not in hidden and parts:
        # What the reader can work out: the hidden parts together, never one of them alone.
        together = people["total"] - sum(people[k] for k in counts if k not in hidden)
        assert together >= MIN
