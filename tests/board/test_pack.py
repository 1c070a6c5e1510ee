"""The board pack read back as text: its sections, its figures as worked out by hand from a
small partnership, and that it names no individual from the Channel Panel."""

import io
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from board import pack
from board import services as board
from board.models import BoardMeeting, ItemKind
from channel_panel import services as channel
from channel_panel.demo import DEMO_CASE_NAMES
from core import clock
from core.extensions import db
from plans.models import Plan, PlanRow
from tests.channel_panel.factories import adopted_case, closed_case, new_case
from tests.factories import OrganisationFactory, PartnershipFactory
from tests.training.factories import CompletionFactory, CourseFactory, HeadcountFactory, PersonFactory
from training.models import CourseKind

#: The day the small partnership's pack is produced (the suite's today, written out).
DAY = date(2026, 11, 16)


@pytest.fixture
def demo(demo, ctx):
    """The demo partnership, with an app context for the test."""


@pytest.fixture
def small_partnership(ctx):
    """Three organisations with headcounts and WRAP records, five Channel cases, and a board
    meeting on 30 November 2026 (the first recorded, so the pack counts from 1 October 2026).
    Another partnership's council is in the database too; its pack must not count it."""
    partnership = PartnershipFactory(name="Fenmarsh Prevent Partnership")  # the first: its 90% target applies
    wrap = CourseFactory(name="WRAP", kind=CourseKind.WRAP.value, validity_months=36, counts_for_coverage=True)
    elearning = CourseFactory(name="Prevent e-learning", kind=CourseKind.ELEARNING.value, counts_for_coverage=False)
    alpha = OrganisationFactory(partnership=partnership, name="Alpha Borough Council", short_name="Alpha")
    beta = OrganisationFactory(partnership=partnership, name="Beta District Council", short_name="Beta")
    gamma = OrganisationFactory(partnership=partnership, name="Gamma College", short_name="Gamma")
    other = OrganisationFactory(partnership=PartnershipFactory(name="Elsewhere"), name="Elsewhere County Council")
    for organisation, headcount in ((alpha, 10), (beta, 8), (gamma, 4), (other, 50)):
        HeadcountFactory(organisation=organisation, relevant_headcount=headcount, as_of=date(2026, 4, 1))

    def trained(organisation, course, n: int, completed_on: date) -> None:
        for _ in range(n):
            CompletionFactory(person=PersonFactory(organisation=organisation), course=course, completed_on=completed_on)

    trained(alpha, wrap, 8, date(2025, 6, 1))  # valid until 31 May 2028
    trained(alpha, wrap, 1, date(2023, 12, 1))  # expires 1 December 2026: current, due for a refresher
    trained(beta, wrap, 5, date(2025, 6, 1))
    trained(beta, wrap, 2, date(2023, 1, 10))  # expired on 10 January 2026
    trained(beta, elearning, 3, date(2026, 2, 1))  # e-learning does not count towards the target
    trained(gamma, wrap, 5, date(2026, 3, 2))  # one more than Gamma's headcount
    trained(other, wrap, 50, date(2026, 3, 2))

    # Channel. adopted_case: screened the day after referral, discussed 7 days and adopted 14 days after it.
    # A: referred 5 October 2026, still at referral (education, extreme right-wing, 15 to 20, male).
    new_case(today=DAY, concern_reported_on=date(2026, 10, 2), referral_date=date(2026, 10, 5))
    # B: referred 12 October 2026, discussed 19 October, adopted 26 October (police, Islamist, 21 to 30, female).
    adopted_case(
        today=DAY,
        concern_reported_on=date(2026, 10, 9),
        referral_date=date(2026, 10, 12),
        referring_sector="police",
        concern_type="islamist",
        age_band="21_30",
        gender="female",
        life_stage="adult",
        individual_type="not_applicable",
        department="",
    )
    # C: referred 1 August 2026, adopted 15 August, closed 20 October 2026 (reviews due in 2027).
    closed_case(
        today=DAY, concern_reported_on=date(2026, 7, 22), referral_date=date(2026, 8, 1), closed_on=date(2026, 10, 20)
    )
    # D: closed 20 April 2026; its 6-month review, due 20 October 2026, has not been held.
    closed_case(
        today=DAY, concern_reported_on=date(2026, 1, 20), referral_date=date(2026, 1, 30), closed_on=date(2026, 4, 20)
    )
    # E: closed 1 November 2025; its 6-month review (due 1 May 2026) held 5 May 2026, its 12-month
    # review (due 1 November 2026) held 3 November 2026.
    e = closed_case(
        today=DAY, concern_reported_on=date(2025, 8, 3), referral_date=date(2025, 8, 13), closed_on=date(2025, 11, 1)
    )
    held = {6: date(2026, 5, 5), 12: date(2026, 11, 3)}
    for review in e.reviews:
        channel.record_review(review, held_on=held[review.months], outcome="no_further_concerns", today=DAY)

    (meeting,) = board.schedule_meetings(
        partnership=partnership,
        first_on=date(2026, 11, 30),
        count=1,
        every_months=3,
        starts_at=time(10),
        ends_at=time(12),
        place="Town Hall",
        link="",
        marking="OFFICIAL-SENSITIVE",
        today=DAY,
    )
    return meeting


def pack_text(meeting: BoardMeeting, part: str = "pack", today: date | None = None) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(pack.render(meeting, part=part, today=today or clock.today())))
    return "\n".join(p.extract_text() for p in reader.pages), reader


def squash(text: str) -> str:
    return " ".join(text.split())


def test_pack_sections_follow_the_agenda_with_the_live_plans_and_actions(demo):
    meeting = board.next_meeting(1, clock.today())
    previous = board.previous_meeting(meeting)
    text, reader = pack_text(meeting)
    flat = squash(text)

    # Cover, then every standing item as a numbered section, in agenda order.
    cover = squash(reader.pages[0].extract_text())
    assert cover.startswith("OFFICIAL-SENSITIVE")
    assert meeting.title in cover and "Board pack" in cover
    position = 0
    for number, item in enumerate(sorted(meeting.items, key=lambda i: i.position), start=1):
        if (
            item.kind == ItemKind.MEMBERSHIP_REVIEW.value
            and not board.membership_review_status(1, meeting.held_on).flagged
        ):
            continue
        found = flat.find(f"{number}. {item.title}", position)
        assert found > position, item.title
        position = found

    # Previous minutes and the action log carried forward.
    assert f"Minutes of {previous.title}" in flat
    for action in board.action_log(meeting):
        assert f"A{action.number} " in flat and squash(action.description)[:30] in flat

    # Every red or amber row of an active plan is listed with its plan.
    red_amber = db.session.scalars(
        select(PlanRow).join(Plan).where(Plan.status == "active", PlanRow.rag.in_(["red", "amber"]))
    ).all()
    assert red_amber
    for row in red_amber:
        assert squash(row.duty or row.actions[0])[:30] in flat

    assert "WRAP coverage of relevant staff on" in flat and "New referrals" in flat

    # The marking and "Page N of M" on every page.
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert "OFFICIAL-SENSITIVE" in page_text
        assert f"Page {number} of {len(reader.pages)}" in page_text


def test_no_individual_is_named_in_the_pack_agenda_or_minutes(demo):
    meeting = board.next_meeting(1, clock.today())
    previous = board.previous_meeting(meeting)
    texts = [pack_text(meeting)[0], pack_text(meeting, "agenda")[0], pack_text(previous, "minutes")[0]]
    for name in DEMO_CASE_NAMES:
        for part in name.split():
            assert all(part not in text for text in texts), part


def test_pack_figures_are_those_worked_out_by_hand(small_partnership):
    flat = squash(pack_text(small_partnership, today=DAY)[0])

    # Training on 16 November 2026, target 90%, Amber from 80%:
    #   Alpha  8 + 1 current = 9 of 10   -> 90.0%, Green (exactly the target); 1 expires within 90 days
    #   Beta   5 current of 8 (2 expired, 3 e-learning only) -> 62.5%, Red
    #   Gamma  5 of 4 -> 125.0%, Green, flagged; counted as 4 overall
    #   overall (9 + 5 + 4) of (10 + 8 + 4) = 18 of 22 = 81.81..% -> 81.8% (rounded down)
    #   Elsewhere County Council belongs to another partnership: not in this pack.
    assert (
        "WRAP coverage of relevant staff on 16 November 2026: 81.8% overall (18 of 22), against a target of 90%. "
        "Green: 2 · Amber: 0 · Red: 1 organisations." in flat
    )
    assert "Alpha Borough Council 10 9 90.0% Green 1 due for refresher" in flat
    assert "Beta District Council 8 5 62.5% Red" in flat
    assert "Gamma College 4 5 125.0% Green More trained than the headcount: check the figures" in flat
    assert "Elsewhere" not in flat

    # Channel, 1 October to 16 November 2026:
    #   referred: A, B = 2; discussed: B = 1; adopted: B = 1; not adopted: none; closed: C = 1
    #   open at the end: A (referral), B (adopted) = 2
    #   reviews due: D's 6-month (20 October), E's 12-month (1 November) = 2; held: E's 12-month = 1
    #   outstanding (due by 16 November, not held): D's 6-month = 1 (C's fall due in 2027)
    #   breakdowns count A and B only (C, D and E were referred before the period)
    # Published at the default threshold of 5: every count from 1 to 4 is [c], the 0s are shown.
    assert (
        "Anonymised counts from the Channel Panel's log for 1 October 2026 to 16 November 2026. "
        "[c]: fewer than 5, suppressed to protect individuals." in flat
    )
    assert (
        "Measure Count New referrals [c] Discussed at panel [c] Adopted [c] Not adopted 0 Closed [c] "
        "Open at the end of the period [c] Post-closure reviews due in the period [c] "
        "Post-closure reviews held in the period [c] Post-closure reviews outstanding [c]" in flat
    )
    assert (
        "Referring sector (referrals in the period) Education [c] Police [c] Local authority 0 Health 0 Community 0 "
        "Family and friends 0 Prison and probation 0 Other 0" in flat
    )
    assert (
        "Type of concern (referrals in the period) Islamist [c] Extreme right-wing [c] Mixed, unclear or unstable 0 "
        "Conflicted 0 School massacre 0 Left wing, anarchist or single issue 0" in flat
    )
    assert (
        "Age band (referrals in the period) Under 15 0 15 to 20 [c] 21 to 30 [c] 31 to 40 0 41 to 50 0 51 to 60 0 "
        "61 and over 0 Not known 0" in flat
    )
    assert "Gender (referrals in the period) Male [c] Female [c] Other or not known 0" in flat
    # The stage chart: cases referred by 16 November at their stage then: A referral, B adopted,
    # C, D, E closed (3). All three are under 5: labels with [c] and no bar at all.
    assert "Cases by stage at the end of the period" in flat and "Referral [c] Adopted [c] Closed [c]" in flat
    assert "Screening" not in flat  # a stage with no cases and nothing hidden is not drawn


def test_pack_at_a_threshold_of_3_shows_the_3_and_draws_its_bar_only(small_partnership):
    from partnership.models import Partnership
    from partnership.services import update_disclosure_threshold

    update_disclosure_threshold(db.session.get(Partnership, small_partnership.partnership_id), threshold=3)
    pdf = pack.render(small_partnership, part="pack", today=DAY)
    flat = squash("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    # 1s and 2s hidden, the 3 closed cases by the end of the period shown.
    assert "[c]: fewer than 3, suppressed to protect individuals." in flat
    assert "New referrals [c] Discussed at panel [c] Adopted [c] Not adopted 0 Closed [c]" in flat
    assert "Referral [c] Adopted [c] Closed 3" in flat
    # One bar in the SVG chart (Closed); the hidden stages have a label and no <rect>.
    chart = pack._channel(date(2026, 10, 1), DAY, threshold=3)["chart"]
    assert str(chart).count("<rect") == 1
    assert str(chart).count(">[c]<") == 2


def test_membership_review_item_appears_only_when_due(small_partnership):
    meeting = small_partnership  # 30 November 2026
    item = next(i for i in meeting.items if i.kind == ItemKind.MEMBERSHIP_REVIEW.value)
    assert item.title == "Review of board membership"

    def on_agenda() -> bool:
        return "Review of board membership" in squash(pack_text(meeting, "agenda", today=DAY)[0])

    assert on_agenda()  # never reviewed
    # Reviewed 29 January 2026: the next is due 29 January 2027, flagged from 60 days before,
    # 30 November 2026, the day of the meeting.
    board.record_membership_review(partnership_id=meeting.partnership_id, reviewed_on=date(2026, 1, 29), outcome="x")
    assert on_agenda()
    # Reviewed a day later: flagged from 1 December 2026, the day after the meeting.
    board.record_membership_review(partnership_id=meeting.partnership_id, reviewed_on=date(2026, 1, 30), outcome="x")
    assert not on_agenda()


def test_the_pack_prints_the_most_pressing_red_and_amber_rows_in_full_within_its_budget(small_partnership, monkeypatch):
    """Budget 2 of 4 red and amber rows: red before amber, overdue first. The two red rows are
    printed in full, the two amber ones are listed by name, and the pack says where every row is."""
    from datetime import UTC, datetime

    from core import limits
    from plans import services as plans
    from tests.factories import BusinessAreaFactory

    monkeypatch.setattr(limits, "PACK_EXCEPTION_LINES", 2)
    area = BusinessAreaFactory(partnership_id=small_partnership.partnership_id, name="Education")
    plan = plans.create_plan(area_id=area.id, title="Education plan", period="2026-2027")
    late, on_time = date(2026, 11, 1), date(2027, 3, 1)  # before and after 16 November 2026
    for duty, due, rag, reason in (
        ("Amber and late", late, "amber", "Venue late"),
        ("Red but on time", on_time, "red", "No budget"),
        ("Red and late", late, "red", "Provider withdrew"),
        ("Amber but on time", on_time, "amber", "Trainer unavailable"),
    ):
        row = plans.add_row(plan, values={"duty": duty, "due_date": due})
        plans.record_progress(
            row,
            items=[f"{duty}: noted"],
            rag=rag,
            reason=reason,
            actor=None,
            actor_label="SPOC",
            at=datetime(2026, 11, 2, 10, tzinfo=UTC),
        )
    flat = squash(pack_text(small_partnership, today=DAY)[0])

    assert (
        "The 2 most pressing of the 4 red and amber rows are shown in full (red before amber, overdue first); "
        "the other 2 are listed by reference under their plan. Every row, with its latest progress, is in the "
        "plans' XLSX export: http://" in flat
    )
    assert "/plans/export?format=xlsx" in flat
    assert "Red but on time — Red (2 November 2026): Red but on time: noted · Reason: No budget" in flat
    assert "Red and late — Red, overdue (2 November 2026): Red and late: noted · Reason: Provider withdrew" in flat
    assert (
        "Also red or amber, in full in the XLSX export (2): Amber and late (Amber, overdue); "
        "Amber but on time (Amber)" in flat
    )
    assert "Venue late" not in flat and "Trainer unavailable" not in flat


def test_the_packs_training_table_follows_the_coverage_pdfs_rule_when_organisations_do_not_fit(
    small_partnership, monkeypatch
):
    """Two rows to print, three organisations: Beta (62.5%) and Alpha (90.0%), the furthest from
    the target, are printed; Gamma (125%) is left to the coverage spreadsheet, which the pack names."""
    from training import exports

    monkeypatch.setattr(exports, "PDF_ROWS", 2)
    flat = squash(pack_text(small_partnership, today=DAY)[0])

    assert "Beta District Council 8 5 62.5% Red" in flat
    assert "Alpha Borough Council 10 9 90.0% Green" in flat
    assert "Gamma College" not in flat
    assert (
        "1 more organisation, each nearer the target than those above, is in the coverage spreadsheet: http://" in flat
    )
    assert "/training/coverage/export?format=xlsx" in flat
    # The overall figure still counts every organisation: 18 of 22.
    assert "81.8% overall (18 of 22)" in flat
