"""The disclosure rule: small counts hidden as [c], and no hidden count recoverable from what is shown."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.disclosure import SUPPRESSED, Shown, footnote, publish, recoverable, suppress

# --- hand-worked examples ------------------------------------------------------------------


def test_small_counts_are_hidden_and_zeros_and_large_counts_shown():
    # No relations: only the primary rule. 1..4 hidden at threshold 5; 0 and 5 shown.
    shown = publish({"a": 0, "b": 1, "c": 4, "d": 5, "e": 17}, threshold=5)
    assert [str(shown[k]) for k in "abcde"] == ["0", "[c]", "[c]", "5", "17"]
    assert shown.value("c") is None and shown.value("d") == 5
    assert shown.any_suppressed


def test_threshold_is_the_partnerships_choice():
    # At 10, a 7 is hidden; at 3, a 3 is shown and a 2 hidden.
    assert suppress({"a": 7, "b": 12}, threshold=10) == {"a"}
    assert suppress({"a": 3, "b": 2}, threshold=3) == {"b"}


def test_a_row_with_one_hidden_cell_and_its_total_hides_a_second_cell():
    # Referrals 20 = education 3 + police 11 + health 6 + other 0. Education (3) is hidden; with
    # the total shown it would be 20 - 11 - 6, so the smallest other non-zero part (health, 6) goes too.
    counts = {"total": 20, "education": 3, "police": 11, "health": 6, "other": 0}
    assert suppress(counts, [("total", ["education", "police", "health", "other"])], threshold=5) == {
        "education",
        "health",
    }


def test_two_small_cells_in_a_row_need_nothing_more():
    counts = {"total": 20, "a": 2, "b": 3, "c": 15}
    assert suppress(counts, [("total", ["a", "b", "c"])], threshold=5) == {"a", "b"}


def test_a_small_total_is_hidden_and_so_is_its_only_part():
    # Total 3 = male 3 + female 0: both 3s are hidden; the 0 stays shown.
    counts = {"total": 3, "male": 3, "female": 0}
    shown = publish(counts, [("total", ["male", "female"])], threshold=5)
    assert shown.suppressed == {"total", "male"}
    assert str(shown["female"]) == "0"


def test_a_cell_hidden_in_one_breakdown_is_not_given_away_by_another():
    # Total 12 shown. By gender: 9 male, 3 female -> female hidden, male hidden with it (secondary).
    # By sector: 6 education, 6 police, both shown. Nothing in the sector table says anything about
    # the gender cells, and male + female = 12 leaves each of them open.
    counts = {"total": 12, "male": 9, "female": 3, "education": 6, "police": 6}
    relations = [("total", ["male", "female"]), ("total", ["education", "police"])]
    assert suppress(counts, relations, threshold=5) == {"male", "female"}


def test_secondary_suppression_chains_across_tables_that_share_a_cell():
    # A cross table of sector by gender with its margins, worked by hand:
    #              male  female | total
    #   education    7      2   |   9
    #   police       8      6   |  14
    #   total       15      8   |  23
    # education/female (2) is hidden. The smallest shown part beside it is police/female (6), so
    # that goes; the education row still has one hidden cell (9 - 7), so education/male (7) goes;
    # then the male column has one (15 - 8), so police/male (8) goes. Now every row and column
    # holds two hidden cells, and nothing follows. The margins all stay shown.
    counts = {
        "e_m": 7,
        "e_f": 2,
        "p_m": 8,
        "p_f": 6,
        "e": 9,
        "p": 14,
        "m": 15,
        "f": 8,
        "all": 23,
    }
    relations = [
        ("e", ["e_m", "e_f"]),
        ("p", ["p_m", "p_f"]),
        ("m", ["e_m", "p_m"]),
        ("f", ["e_f", "p_f"]),
        ("all", ["e", "p"]),
        ("all", ["m", "f"]),
    ]
    assert suppress(counts, relations, threshold=5) == {"e_m", "e_f", "p_m", "p_f"}


def test_relations_that_do_not_add_up_are_refused():
    with pytest.raises(ValueError, match="sum of its parts"):
        suppress({"t": 5, "a": 2, "b": 2}, [("t", ["a", "b"])], threshold=5)
    with pytest.raises(ValueError, match="no count"):
        suppress({"t": 5}, [("t", ["a"])], threshold=5)


def test_the_footnote_names_the_threshold():
    assert footnote(5).startswith("[c]: fewer than 5, suppressed to protect individuals.")
    assert "fewer than 10," in footnote(10)
    assert str(Shown(None)) == SUPPRESSED and str(Shown(0)) == "0"


# --- generated tables: nothing hidden can be recovered --------------------------------------


def _equations(counts, relations, hidden):
    """Each relation as (coefficients over the hidden cells, the constant the shown cells give)."""
    unknowns = sorted(hidden, key=repr)
    equations = []
    for total, parts in relations:
        coefficients = {k: 0 for k in unknowns}
        constant = 0
        for key, sign in [(total, 1), *((p, -1) for p in parts)]:
            if key in hidden:
                coefficients[key] += sign
            else:
                constant -= sign * counts[key]
        equations.append(([coefficients[k] for k in unknowns], constant))
    return unknowns, equations


def _rank(matrix):
    """Rank by plain Gaussian elimination over fractions (written apart from the module's own)."""
    m = [[Fraction(x) for x in row] for row in matrix]
    rank = 0
    columns = len(m[0]) if m else 0
    for col in range(columns):
        pivot = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for i in range(rank + 1, len(m)):
            factor = m[i][col] / m[rank][col]
            m[i] = [a - factor * b for a, b in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


def _determined_by_algebra(counts, relations, hidden):
    """Hidden cells fixed by the published equations: adding 'this cell = v' adds no information."""
    unknowns, equations = _equations(counts, relations, hidden)
    matrix = [coefficients for coefficients, _ in equations]
    base = _rank(matrix)
    fixed = set()
    for index, key in enumerate(unknowns):
        unit = [1 if i == index else 0 for i in range(len(unknowns))]
        if _rank([*matrix, unit]) == base:
            fixed.add(key)
    return fixed


def _determined_by_subtraction(counts, relations, hidden):
    """What a reader with a calculator finds: repeatedly solve any sum with one unknown left."""
    known = {k: v for k, v in counts.items() if k not in hidden}
    progress = True
    while progress:
        progress = False
        for total, parts in relations:
            missing = [k for k in (total, *parts) if k not in known]
            if len(missing) == 1:
                key = missing[0]
                if key == total:
                    known[key] = sum(known[p] for p in parts)
                else:
                    known[key] = known[total] - sum(known[p] for p in parts if p != key)
                progress = True
    return {k for k in hidden if k in known}


@st.composite
def people_tables(draw):
    """A few people with a category in each of several dimensions, published as one output:
    the total, a one-way table per dimension, and a cross table of the first two with margins."""
    sizes = draw(st.lists(st.integers(min_value=2, max_value=5), min_size=2, max_size=4))
    people = draw(
        st.lists(st.tuples(*(st.integers(min_value=0, max_value=s - 1) for s in sizes)), min_size=0, max_size=40)
    )
    threshold = draw(st.integers(min_value=3, max_value=10))
    counts = {"total": len(people)}
    relations = []
    for d, size in enumerate(sizes):
        keys = [("by", d, c) for c in range(size)]
        for c in range(size):
            counts[("by", d, c)] = sum(1 for p in people if p[d] == c)
        relations.append(("total", keys))
    for a in range(sizes[0]):
        for b in range(sizes[1]):
            counts[("x", a, b)] = sum(1 for p in people if p[0] == a and p[1] == b)
    for a in range(sizes[0]):
        relations.append((("by", 0, a), [("x", a, b) for b in range(sizes[1])]))
    for b in range(sizes[1]):
        relations.append((("by", 1, b), [("x", a, b) for a in range(sizes[0])]))
    return counts, relations, threshold


@settings(max_examples=300, deadline=None)
@given(people_tables())
def test_no_hidden_count_can_be_recovered_from_what_is_published(table):
    counts, relations, threshold = table
    hidden = suppress(counts, relations, threshold=threshold)
    # Every small count is hidden, and every count shown is either 0 or at least the threshold,
    # or was hidden for another's sake.
    assert {k for k, n in counts.items() if 0 < n < threshold} <= hidden
    assert _determined_by_subtraction(counts, relations, hidden) == set()
    assert _determined_by_algebra(counts, relations, hidden) == set()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=8),
    st.integers(min_value=3, max_value=10),
)
def test_a_single_row_with_its_total_never_leaks(row, threshold):
    counts = {"total": sum(row), **{i: n for i, n in enumerate(row)}}
    relations = [("total", list(range(len(row))))]
    hidden = suppress(counts, relations, threshold=threshold)
    assert _determined_by_subtraction(counts, relations, hidden) == set()
    # A row never has exactly one hidden cell (counting its total).
    assert len(hidden) != 1


def test_a_hidden_cell_between_two_hidden_blocks_is_still_found_recoverable():
    # A 4 x 4 table of 10s with row and column totals of 40. Hidden: a 2 x 2 block in rows 1-2 and
    # columns 1-2, another in rows 3-4 and columns 3-4, and the cell row 2, column 3 joining them.
    # Every row and column holds two or more hidden cells, so no single subtraction finds any; but
    # adding rows 1 and 2 and taking away columns 1 and 2 leaves exactly that joining cell:
    # 40 + 40 - 40 - 40 + (shown cells) = 10. The exact check must say so; the blocks stay open.
    counts = {(r, c): 10 for r in range(4) for c in range(4)}
    counts.update({("row", r): 40 for r in range(4)})
    counts.update({("col", c): 40 for c in range(4)})
    relations = [(("row", r), [(r, c) for c in range(4)]) for r in range(4)]
    relations += [(("col", c), [(r, c) for r in range(4)]) for c in range(4)]
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)}
    assert recoverable(counts, relations, hidden) == {(1, 2)}
    assert _determined_by_subtraction(counts, relations, hidden) == set()
    # With every cell small (threshold 11) all sixteen are hidden and only margins shown: none follows.
    assert _determined_by_algebra(counts, relations, suppress(counts, relations, threshold=11)) == set()


def test_unpublished_sums_join_periods_so_one_period_cannot_give_away_another():
    # Quarter 1: 0 at referral, 1 adopted; 1 case known at its end (never shown: a carrier).
    # Quarter 2: 7 referred, so 8 known at its end: 7 at referral, 1 adopted, 8 open.
    counts = {"ref1": 0, "adopt1": 1, "r2": 7, "ref2": 7, "adopt2": 1, "open2": 8, "known1": 1, "known2": 8}
    within = [("known1", ["ref1", "adopt1"]), ("known2", ["ref2", "adopt2"]), ("open2", ["ref2", "adopt2"])]
    carriers = ["known1", "known2"]
    # Each quarter alone: adopt2 (1) would be open2 - ref2, so ref2 goes too; adopt1 is safe.
    assert suppress(counts, within, threshold=5, unpublished=carriers) == {"adopt1", "adopt2", "ref2", *carriers}
    # Joined (known at the end of quarter 2 = known at the end of quarter 1 + its referrals):
    # known2 = open2 = 8, so known1 = 8 - 7 = 1 and adopt1 = 1 - ref1 = 1. The only other cell in
    # quarter 1's sum is ref1 (a 0), so it is hidden too; the 7 referrals stay shown.
    joined = [*within, ("known2", ["known1", "r2"])]
    hidden = suppress(counts, joined, threshold=5, unpublished=carriers)
    assert hidden == {"adopt1", "adopt2", "ref2", "ref1", *carriers}
    assert _determined_by_algebra(counts, joined, hidden) <= set(carriers)
