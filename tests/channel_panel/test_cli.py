"""flask channel agenda and flask retention run: good and bad input, exit codes, nothing half-done."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from channel_panel.dates import add_months
from channel_panel.models import AnonymisedLogEntry, ChannelCase, PanelMeeting
from core import clock
from core.audit import AuditEntry
from core.extensions import db
from tests.channel_panel.factories import SECRET_NAMES, PanelMeetingFactory, closed_case


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def pdf_text(path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


@pytest.fixture
def meetings_and_a_review(run_in):
    """A meeting last month and one next month; a case whose 6-month review fell due 10 days ago."""
    today = clock.today()

    def make():
        past = PanelMeetingFactory(held_on=today - timedelta(days=30))
        upcoming = PanelMeetingFactory(held_on=today + timedelta(days=20))
        case = closed_case(closed_on=add_months(today - timedelta(days=10), -6), today=today, name=SECRET_NAMES[0])
        return past.id, upcoming.id, case.reference

    return run_in(make)


# --- flask channel agenda ----------------------------------------------------------------


def test_agenda_by_number_lists_the_review_due(app, tmp_path, meetings_and_a_review):
    _, upcoming_id, reference = meetings_and_a_review
    out = tmp_path / "agenda.pdf"
    result = run(app, "channel", "agenda", str(upcoming_id), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "1 post-closure review(s) due" in result.output
    text = pdf_text(out)
    assert reference in text and "6-month review" in text and "OFFICIAL-SENSITIVE" in text
    assert SECRET_NAMES[0] not in text


def test_agenda_for_the_next_meeting_and_by_date(app, tmp_path, meetings_and_a_review):
    _, upcoming_id, _ = meetings_and_a_review
    with app.app_context():
        held_on = db.session.get(PanelMeeting, upcoming_id).held_on
    result = run(app, "channel", "agenda", "--next", "-o", str(tmp_path / "next.pdf"))
    assert result.exit_code == 0, result.output
    assert held_on.isoformat() in result.output
    by_date = run(app, "channel", "agenda", held_on.isoformat(), "-o", str(tmp_path / "by-date.pdf"))
    assert by_date.exit_code == 0, by_date.output
    assert pdf_text(tmp_path / "next.pdf") == pdf_text(tmp_path / "by-date.pdf")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "--next"], "Error: give a meeting (its number or date) or --next, not both"),
        ([], "Error: give a meeting (its number or its date, YYYY-MM-DD), or --next for the next one"),
        (["999"], "Error: MEETING: there is no panel meeting #999"),
        (["next-tuesday"], "Error: MEETING: 'next-tuesday' is neither a meeting number nor a date like 2026-12-08"),
        (["2001-01-01"], "Error: MEETING: there is no panel meeting on 2001-01-01"),
    ],
)
def test_agenda_refuses_bad_meetings(app, tmp_path, meetings_and_a_review, args, message):
    out = tmp_path / "agenda.pdf"
    result = run(app, "channel", "agenda", *args, "-o", str(out))
    assert result.exit_code == 1
    assert message in errors(result)
    assert not out.exists()


def test_agenda_refuses_a_bad_output_path_and_lists_every_problem(app, tmp_path, meetings_and_a_review):
    result = run(app, "channel", "agenda", "999", "-o", str(tmp_path / "missing" / "agenda.txt"))
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: MEETING: there is no panel meeting #999",
        "Error: -o: the file name must end in .pdf",
        f"Error: -o: the folder {tmp_path / 'missing'} does not exist",
    ]


def test_next_with_no_meeting_ahead_is_an_error(app, tmp_path, run_in):
    run_in(lambda: PanelMeetingFactory(held_on=clock.today() - timedelta(days=1)))
    result = run(app, "channel", "agenda", "--next", "-o", str(tmp_path / "a.pdf"))
    assert result.exit_code == 1
    assert errors(result) == ["Error: --next: no panel meeting is planned for today or later; add one first"]


# --- flask retention run -----------------------------------------------------------------


@pytest.fixture
def retention_cases(run_in):
    """One case past its retention date (since yesterday) and one that is not (until tomorrow)."""
    today = clock.today()
    six_years_ago = add_months(today, -72)

    def make():
        gone = closed_case(
            closed_on=six_years_ago + timedelta(days=60),
            concern_reported_on=six_years_ago - timedelta(days=1),
            referral_date=six_years_ago,
            name=SECRET_NAMES[0],
            today=today,
        )
        kept = closed_case(
            closed_on=six_years_ago + timedelta(days=60),
            concern_reported_on=six_years_ago + timedelta(days=1),
            referral_date=six_years_ago + timedelta(days=2),
            name=SECRET_NAMES[1],
            today=today,
        )
        return gone.reference, kept.reference

    return run_in(make)


def test_dry_run_lists_what_would_go_and_changes_nothing(app, retention_cases):
    gone, kept = retention_cases
    before = row_counts(app)
    result = run(app, "retention", "run", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Dry run as of {clock.today().isoformat()}: nothing removed or redacted." in result.output
    assert "Channel case material (channel_cases, 6 years after the concern was reported): 1 would be deleted" in (
        result.output
    )
    assert gone in result.output and kept not in result.output
    assert "would be deleted: concern reported" in result.output
    assert "the case record, personal details, 2 post-closure reviews" in result.output
    assert SECRET_NAMES[0] not in result.output
    assert row_counts(app) == before


def test_dry_run_as_of_a_later_date_shows_what_will_be_due(app, retention_cases):
    gone, kept = retention_cases
    later = (clock.today() + timedelta(days=2)).isoformat()
    result = run(app, "retention", "run", "--dry-run", "--as-of", later)
    assert result.exit_code == 0, result.output
    assert gone in result.output and kept in result.output


def test_run_deletes_the_material_keeps_the_log_and_audits_without_content(app, retention_cases):
    gone, kept = retention_cases
    result = run(app, "retention", "run")
    assert result.exit_code == 0, result.output
    assert "Channel case material (channel_cases, 6 years after the concern was reported): 1 deleted" in result.output
    assert gone in result.output
    with app.app_context():
        references = set(db.session.scalars(select(ChannelCase.reference)))
        assert references == {kept}
        assert db.session.scalar(select(func.count()).select_from(AnonymisedLogEntry)) == 2
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delete")).one()
        assert (entry.entity, entry.actor_label) == ("channel_cases", "flask retention run")
        trail = " ".join(f"{e.label} {e.changes}" for e in db.session.scalars(select(AuditEntry)))
        assert SECRET_NAMES[0] not in trail and SECRET_NAMES[1] not in trail and gone not in trail
    again = run(app, "retention", "run")
    assert again.exit_code == 0 and "reported): 0 deleted" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--as-of", "2030-01-01"],
            "Error: --as-of: a real run cannot be dated after today (2026-11-16); "
            "use --dry-run to see what will be due then",
        ),
        (
            ["--dry-run", "--as-of", "31/03/2027"],
            "Error: --as-of: '31/03/2027' is not a date; use YYYY-MM-DD, like 2027-03-31",
        ),
    ],
)
def test_retention_refuses_bad_options_and_deletes_nothing(app, retention_cases, args, message):
    before = row_counts(app)
    result = run(app, "retention", "run", *args)
    assert result.exit_code == 1
    assert errors(result) == [message]
    assert row_counts(app) == before


def test_an_unknown_option_is_a_usage_error(app, retention_cases):
    before = row_counts(app)
    result = run(app, "retention", "run", "--force")
    assert result.exit_code == 2
    assert row_counts(app) == before
