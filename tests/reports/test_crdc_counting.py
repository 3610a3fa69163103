"""The civil-rights counting rules on a constructed data set whose answers are known."""

from caseflow.reports import crdc
from caseflow.reports.crdc import Person, count, suppress_row, table


def P(student_id, race="BL", sex="M", idea=False, s504=False, el=False, instances=1):
    return Person(student_id, race, sex, idea, s504, el, instances)


def test_students_not_instances():
    counts = count([P(1), P(1), P(1, instances=2), P(2, race="WH", sex="F")])
    assert counts.instances == 5
    assert counts.students == 2
    assert counts.cell("WODIS", "BL", "M") == 1
    assert counts.cell("WODIS", "WH", "F") == 1
    assert sum(counts.cells.values()) == 2


def test_blocks_are_disjoint_and_idea_wins_over_504():
    people = [
        P(1),  # without disabilities
        P(2, idea=True),
        P(3, s504=True),
        P(4, idea=True, s504=True),  # IDEA, not 504-only
        P(5, race="HI", sex="F", s504=True),
    ]
    counts = count(people)
    assert counts.total("WODIS", "M") == 1
    assert counts.total("IDEA", "M") == 2
    assert counts.total("504", "M") == 1
    assert counts.total("504", "F") == 1
    # The three blocks add up to every reportable student, each once.
    assert sum(counts.totals.values()) == counts.students == 5


def test_english_learners_are_counted_by_block_and_sex_not_crossed_with_race():
    counts = count(
        [
            P(1, el=True),
            P(2, race="AS", sex="F", el=True, idea=True),
            P(3, race="AS", sex="F"),
            P(4, race=None, sex="F", el=True, idea=True),  # race not recorded: still an English learner
        ]
    )
    assert counts.english_learners == {("WODIS", "M"): 1, ("IDEA", "F"): 2}
    assert counts.not_reportable == 1
    assert counts.cell("IDEA", "AS", "F") == 1 and counts.cell("WODIS", "AS", "F") == 1


def test_race_or_sex_not_recorded_is_counted_in_no_cell():
    counts = count([P(1, race=None), P(2, sex="X"), P(3)])
    assert counts.students == 3 and counts.not_reportable == 2
    assert sum(counts.cells.values()) == 1


def test_small_cells_are_hidden_and_a_lone_hidden_cell_takes_the_next_smallest_with_it():
    assert suppress_row([0, 7, 12], 5) == [0, 7, 12]  # nothing small
    assert suppress_row([3, 7, 12], 5) == [None, None, 12]  # 3 alone would be 22 - 19
    assert suppress_row([3, 2, 12], 5) == [None, None, 12]  # two hidden already
    # The complement is a non-zero cell: hiding a zero would tell that the other is the rest.
    assert suppress_row([3, 0, 12], 5) == [None, 0, None]
    assert suppress_row([15, 0, 0, 0, 1, 0, 0], 5) == [None, 0, 0, 0, None, 0, 0]
    assert suppress_row([4], 5) == [None]
    assert suppress_row([5, 6], 5) == [5, 6]  # 5 is not below 5


def test_the_published_table_hides_small_cells_and_totals():
    people = [P(i, race="BL") for i in range(1, 4)] + [P(i, race="WH") for i in range(10, 30)]
    shown = table(count(people), suppress_below=5)
    row = shown["rows"][("WODIS", "M")]
    assert row["cells"]["BL"] is None  # 3 students
    # The lone hidden cell took the only other non-zero cell with it: 23 - 20 reveals nothing.
    assert row["cells"]["WH"] is None and sum(1 for v in row["cells"].values() if v is None) == 2
    assert row["total"] == 23 and shown["students"] == 23
    exact = table(count(people), suppress_below=None)
    assert exact["rows"][("WODIS", "M")]["cells"]["BL"] == 3


def test_small_single_counts_are_hidden_too():
    shown = table(count([P(1, race="HI", sex="F", idea=True)]), suppress_below=5)
    assert shown["instances"] is None and shown["students"] is None
    assert shown["rows"][("IDEA", "F")]["total"] is None
    assert shown["not_reportable"] == 0


def test_columns_follow_the_collection_pattern():
    from caseflow.reports.civil_rights import columns

    cols = columns()
    assert "SCH_DISCWODIS_REF_HI_M" in cols and "SCH_DISCWDIS_IDEA_ARR_TR_F" in cols
    assert "TOT_DISCWDIS_504_REF_F" in cols and "SCH_DISCWDIS_IDEA_ARR_LEP_M" in cols
    assert "SCH_DISCWODIS_REF_LEP_F" in cols
    assert len(cols) == len(set(cols))
    # 5 identifying columns; per measure: instances, 3 blocks x (14 cells + 2 totals + 2 EL), not reportable
    assert len(cols) == 5 + 2 * (1 + 3 * 18 + 1)
    assert crdc.BLOCKS == ("WODIS", "IDEA", "504")
