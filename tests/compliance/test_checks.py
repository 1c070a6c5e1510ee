"""Each automatic check finds exactly the deliberate gaps of the 2025 fixture, and a year with
no records says so per check."""

from compliance.checks import CheckState, run_checks
from core import clock
from tests.compliance.conftest import SET_UP, YEAR


def _by_key(app, partnership_id, year=YEAR):
    with app.app_context():
        return {c.key: c for c in run_checks(partnership_id, year)}


def test_each_check_finds_exactly_the_known_gaps(app, gappy_year):
    checks = _by_key(app, gappy_year.world.partnership_id)

    board = checks["board_quarters"]
    assert board.state is CheckState.GAPS
    assert [g.label for g in board.gaps] == ["Quarter 3 (July to September 2025)"]
    figures = dict(board.figures)
    assert figures["Meetings held"] == "3"
    assert figures["Attendance: Test County Council"] == "3 of 3"
    assert figures["Attendance: Test Police"] == "1 of 3"
    assert [r.label for r in board.records if not r.gap] == [
        "Board meeting 15 January 2025",
        "Board meeting 15 April 2025",
        "Board meeting 15 October 2025",
    ]

    assert checks["membership_review"].state is CheckState.MET
    assert checks["membership_review"].gaps == []

    plans = checks["plans_checked"]
    assert plans.state is CheckState.GAPS
    assert [(g.label, g.detail) for g in plans.gaps] == [
        ("Health", "Has a SPOC but no active plan"),
        ("Education Prevent Action Plan", "Not checked by the board in quarter 3"),
    ]

    rows = checks["rows_updated"]
    assert rows.state is CheckState.GAPS
    assert len(rows.gaps) == 1
    assert rows.gaps[0].detail == "no update in quarter 3; overdue at year end (due 30 June 2025)"
    assert rows.gaps[0].args == {"plan_id": gappy_year.world.plan_id, "row_id": gappy_year.world.row_id}

    training = checks["training_coverage"]
    assert training.state is CheckState.GAPS
    assert [(g.label, g.detail) for g in training.gaps] == [("Test Police", "84.0% (42 of 50)")]

    reviews = checks["channel_reviews"]
    assert reviews.state is CheckState.GAPS
    # The case's 6-month review (due 10 March 2025) came first; its 12-month one (due 10 September)
    # is the gap. A label that holds only in this output, never the case reference.
    assert [g.label for g in reviews.gaps] == ["Review 2 of 2: a 12-month review"]
    assert reviews.gaps[0].detail == "Not held by year end (112 days overdue)"
    assert [(r.label, r.detail) for r in reviews.records] == [
        ("Review 1 of 2: a 6-month review", "Held on time"),
        ("Review 2 of 2: a 12-month review", "Not held by year end (112 days overdue)"),
    ]
    assert dict(reviews.figures)["Held on time"] == "1"

    retention = checks["retention"]
    assert retention.state is CheckState.MET
    assert [(r.label, r.detail) for r in retention.records] == [
        (
            "Abandoned import files (7 days after upload)",
            "Last ran 1 February 2025; 1 run(s) in 2025; 0 held past their period on 31 December 2025.",
        ),
        (
            "Deactivated accounts (24 months after deactivation)",
            "Last ran 1 February 2025; 1 run(s) in 2025; 0 held past their period on 31 December 2025.",
        ),
        (
            "Leavers' training records (24 months after leaving)",
            "Last ran 1 February 2025; 1 run(s) in 2025; 0 held past their period on 31 December 2025.",
        ),
        (
            "Channel case material (6 years after the concern was reported)",
            "Last ran 1 February 2025; 1 run(s) in 2025; 0 held past their period on 31 December 2025.",
        ),
    ]
    assert retention.summary == "Every schedule ran in 2025; nothing was held past its period on 31 December 2025."

    terms = checks["terms_reviewed"]
    assert terms.state is CheckState.GAPS
    assert terms.gaps[0].detail == "Last review before it: 1 November 2024"


def test_a_year_with_no_records_says_so_for_each_check(app, gappy_year):
    checks = _by_key(app, gappy_year.world.partnership_id, year=2019)
    no_data = {k for k, c in checks.items() if c.state is CheckState.NO_DATA}
    # Nothing of the partnership was in the product yet in 2019 (set up in 2024): no area had a SPOC.
    assert no_data == {
        "board_quarters",
        "membership_review",
        "plans_checked",
        "rows_updated",
        "training_coverage",
        "channel_reviews",
    }
    for key in no_data:
        assert checks[key].summary.startswith("No data")
    # The rest still report, from what does exist: no retention run in 2019, no terms review.
    assert checks["retention"].summary == (
        "No run in 2019 of: Abandoned import files, Deactivated accounts, Leavers' training records, "
        "Channel case material."
    )
    assert checks["terms_reviewed"].state is CheckState.GAPS


def test_retention_run_command_is_recorded_for_the_check(app, world):
    from sqlalchemy import select

    from core.extensions import db
    from core.retention import RetentionRun

    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(RetentionRun)).all() == []
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        runs = db.session.scalars(select(RetentionRun).order_by(RetentionRun.id)).all()
        assert [(r.schedule, r.ran_on, r.removed_count, r.run_by) for r in runs] == [
            (name, clock.today(), 0, "flask retention run")
            for name in ("import_files", "deactivated_accounts", "training_leavers", "channel_cases")
        ]
    check = _by_key(app, world.partnership_id, year=clock.today().year)["retention"]
    assert check.state is CheckState.MET
    assert {r.detail.split(";")[0] for r in check.records} == {f"Last ran {clock.today():%-d %B %Y}"}


def test_coverage_check_reads_only_the_partnerships_own_organisations(app, gappy_year):
    """A deployment holding a second partnership: its organisation below target is a gap in its
    own year's check, not in this partnership's."""
    from datetime import date

    from core.extensions import db
    from tests.factories import OrganisationFactory, PartnershipFactory
    from tests.training.factories import HeadcountFactory

    with app.app_context():
        other = PartnershipFactory(name="Another partnership")
        neighbour = OrganisationFactory(partnership=other, name="Neighbouring Council")
        neighbour.created_at = SET_UP  # it was in the product before 2025
        HeadcountFactory(organisation=neighbour, relevant_headcount=40, as_of=date(2025, 1, 1))
        db.session.commit()
        other_id = other.id

    ours = _by_key(app, gappy_year.world.partnership_id)["training_coverage"]
    assert [g.label for g in ours.gaps] == ["Test Police"]
    assert "Neighbouring Council" not in [r.label for r in ours.records]
    theirs = _by_key(app, other_id)["training_coverage"]
    assert [(g.label, g.detail) for g in theirs.gaps] == [("Neighbouring Council", "0.0% (0 of 40)")]


# --- plan rows judged by plans.rules --------------------------------------------------------------


def _progress(row_id: int, at, rag: str = "green"):
    from plans.models import ProgressUpdate

    return ProgressUpdate(row_id=row_id, at=at, author_label="test", items=["Progress"], rag=rag)


def test_a_row_due_on_31_december_is_not_overdue_at_that_year_end(app, world):
    """The year-end check asks plans.rules.overdue as at 31 December: a row due that day is not
    yet overdue, one due the day before is."""
    from datetime import UTC, date, datetime

    from core.extensions import db
    from plans.models import PlanRow

    with app.app_context():
        for row_id, due in ((world.row_id, date(2026, 12, 31)), (world.other_row_id, date(2026, 12, 30))):
            row = db.session.get(PlanRow, row_id)
            row.due_date, row.rag = due, "green"
            db.session.add(_progress(row_id, datetime(2026, 12, 1, 10, tzinfo=UTC)))
        db.session.commit()
        rows = {c.key: c for c in run_checks(world.partnership_id, 2026, today=date(2027, 1, 10))}["rows_updated"]

    assert dict(rows.figures)["Rows overdue at year end"] == "1"
    assert [(g.args["row_id"], g.detail) for g in rows.gaps] == [
        (world.other_row_id, "overdue at year end (due 30 December 2026)")
    ]


def test_a_year_still_running_is_judged_as_at_today(app, world):
    """On 16 November 2026 (the suite's today) quarter 4 is still running: a row not updated in
    it is stale as the plan pages say, "not updated since 1 October 2026"; a row completed
    before the quarter needs no more updates; nothing is judged for days still to come."""
    from datetime import UTC, datetime

    from core.extensions import db
    from plans.models import PlanRow

    with app.app_context():
        db.session.add(_progress(world.row_id, datetime(2026, 9, 30, 12, tzinfo=UTC)))  # the day before Q4
        db.session.add(_progress(world.other_row_id, datetime(2026, 9, 1, tzinfo=UTC), rag="complete"))
        db.session.get(PlanRow, world.other_row_id).rag = "complete"
        db.session.commit()
        rows = {c.key: c for c in run_checks(world.partnership_id, 2026)}["rows_updated"]

    assert [(g.args["row_id"], g.detail) for g in rows.gaps] == [(world.row_id, "not updated since 1 October 2026")]
    assert dict(rows.figures)["Rows not updated since 1 October 2026"] == "1"
    assert dict(rows.figures)["Rows overdue on 16 November 2026"] == "0"


def test_a_case_held_past_six_years_is_named_by_no_check(app, gappy_year):
    """A concern reported on 14 March 2018 is past its retention date by the end of 2025. No check
    of 2025 names its case reference or that date (they are counted, or labelled per report)."""
    from datetime import date

    from core.extensions import db
    from tests.channel_panel.factories import closed_case

    with app.app_context():
        old = closed_case(
            closed_on=date(2018, 9, 1),
            concern_reported_on=date(2018, 3, 14),
            referral_date=date(2018, 3, 20),
            today=date(2018, 9, 1),
        )
        reference = old.reference
        db.session.commit()
    checks = _by_key(app, gappy_year.world.partnership_id)
    assert checks["retention"].state is CheckState.GAPS  # the case is held past its period
    text = " ".join(
        f"{c.summary} {c.figures} " + " ".join(f"{r.label} {r.detail}" for r in c.records) for c in checks.values()
    )
    assert reference not in text and "14 March 2018" not in text and "2018-03-14" not in text
