"""Case rules at the service level: references, stages, consent, closure, reviews, log, figures."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from channel_panel import figures, services
from channel_panel.models import AnonymisedLogEntry, ChannelCase, PostClosureReview
from channel_panel.services import CaseRuleError
from core.extensions import db
from tests.channel_panel.factories import adopted_case, closed_case, details, new_case

TODAY = date(2026, 11, 20)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- references --------------------------------------------------------------------------


def test_references_are_numbered_per_referral_year(ctx):
    first = new_case(referral_date=date(2026, 1, 8))
    second = new_case(referral_date=date(2026, 3, 1), concern_reported_on=date(2026, 2, 1))
    older = new_case(referral_date=date(2025, 12, 30), concern_reported_on=date(2025, 12, 1))
    assert (first.reference, second.reference, older.reference) == ("CP-2026-001", "CP-2026-002", "CP-2025-001")


def test_a_typed_reference_is_kept_and_numbering_continues_after_it(ctx):
    typed = new_case(reference=" cp-2026-014 ")
    assert typed.reference == "CP-2026-014"
    assert new_case().reference == "CP-2026-015"


def test_duplicate_reference_is_refused_by_the_service_and_saves_nothing(ctx):
    new_case(reference="CP-2026-014")
    with pytest.raises(CaseRuleError) as refused:
        new_case(reference="CP-2026-014")
    assert refused.value.field == "reference"
    assert "A case with the reference CP-2026-014 already exists" in refused.value.message
    assert count(ChannelCase) == 1 and count(AnonymisedLogEntry) == 1


def test_duplicate_reference_is_refused_by_the_schema(ctx):
    new_case(reference="CP-2026-014")
    db.session.add(ChannelCase(reference="CP-2026-014", stage="referral", **vars(details())))
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.parametrize("reference", ["2026-014", "CP-26-014", "CP-2026-1", "CP 2026 014", "CP-2026-014; DROP"])
def test_badly_formed_references_are_refused(ctx, reference):
    with pytest.raises(CaseRuleError, match="format CP-YYYY-NNN"):
        new_case(reference=reference)


# --- case dates and consent --------------------------------------------------------------


def test_referral_before_the_concern_was_reported_is_refused(ctx):
    with pytest.raises(CaseRuleError, match="referral date must be the same as or after"):
        new_case(concern_reported_on=date(2026, 3, 2), referral_date=date(2026, 3, 1))
    assert count(ChannelCase) == 0


def test_consent_date_in_the_future_is_refused(ctx):
    with pytest.raises(CaseRuleError) as refused:
        new_case(consent="given", consent_on=TODAY + timedelta(days=1))
    assert refused.value.field == "consent_on"
    assert refused.value.message == "The consent date must be today or in the past"
    case = new_case()
    with pytest.raises(CaseRuleError, match="today or in the past"):
        services.record_consent(case, consent="declined", on=TODAY + timedelta(days=1), today=TODAY)
    assert (case.consent, case.consent_on) == ("not_sought", None)
    services.record_consent(case, consent="declined", on=TODAY, today=TODAY)
    assert (case.consent, case.consent_on) == ("declined", TODAY)


def test_consent_other_than_not_sought_needs_a_date(ctx):
    with pytest.raises(CaseRuleError, match="Enter the date consent was"):
        new_case(consent="sought", consent_on=None)


def test_the_schema_refuses_a_closure_before_the_referral(ctx):
    case = new_case()
    case.stage, case.closed_on, case.closure_reason = "closed", date(2026, 1, 1), "other"
    with pytest.raises(IntegrityError):
        db.session.flush()


# --- stages ------------------------------------------------------------------------------


def test_stages_move_forward_only_with_dates_in_order(ctx):
    case = new_case()
    with pytest.raises(CaseRuleError, match="can move on to: screening, not adopted"):
        services.change_stage(case, stage="adopted", on=date(2026, 1, 20), today=TODAY)
    with pytest.raises(CaseRuleError, match="same as or after the referral date"):
        services.change_stage(case, stage="screening", on=date(2026, 1, 7), today=TODAY)
    with pytest.raises(CaseRuleError, match="today or in the past"):
        services.change_stage(case, stage="screening", on=TODAY + timedelta(days=1), today=TODAY)
    services.change_stage(case, stage="screening", on=date(2026, 1, 9), today=TODAY)
    assert (case.stage, case.screened_on) == ("screening", date(2026, 1, 9))
    with pytest.raises(CaseRuleError, match="last stage change"):
        services.change_stage(case, stage="discussed", on=date(2026, 1, 8), today=TODAY)


def test_not_adopted_needs_its_outcome(ctx):
    case = new_case()
    with pytest.raises(CaseRuleError) as refused:
        services.change_stage(case, stage="not_adopted", on=date(2026, 1, 9), today=TODAY)
    assert refused.value.field == "not_adopted_outcome"
    assert case.stage == "referral"
    services.change_stage(
        case, stage="not_adopted", on=date(2026, 1, 9), today=TODAY, not_adopted_outcome="childrens_social_care"
    )
    entry = db.session.scalar(select(AnonymisedLogEntry).where(AnonymisedLogEntry.case_id == case.id))
    assert entry.outcome_label == "Not adopted: Passed to children's social care"


def test_support_plan_needs_consent_given(ctx):
    case = adopted_case()
    services.record_consent(case, consent="sought", on=date(2026, 1, 25), today=TODAY)
    with pytest.raises(CaseRuleError, match="consent was given"):
        services.change_stage(case, stage="support_plan", on=date(2026, 2, 1), today=TODAY)
    services.record_consent(case, consent="given", on=date(2026, 1, 30), today=TODAY)
    services.change_stage(case, stage="support_plan", on=date(2026, 2, 1), today=TODAY)
    assert case.stage == "support_plan"


# --- closing -----------------------------------------------------------------------------


def test_closing_schedules_the_6_and_12_month_reviews(ctx):
    case = adopted_case(concern_reported_on=date(2025, 5, 1), referral_date=date(2025, 5, 2))
    services.close_case(case, closed_on=date(2025, 8, 31), reason="support_completed", today=TODAY)
    due = {r.months: r.due_on for r in case.reviews}
    assert due == {6: date(2026, 2, 28), 12: date(2026, 8, 31)}
    assert case.stage == "closed"


def test_closure_before_the_referral_date_is_refused_and_nothing_is_saved(ctx):
    case = adopted_case()
    with pytest.raises(CaseRuleError) as refused:
        services.close_case(case, closed_on=date(2026, 1, 7), reason="support_completed", today=TODAY)
    assert refused.value.field == "closed_on"
    assert refused.value.message == "The closure date must be the same as or after the referral date (8 January 2026)"
    db.session.flush()
    assert case.stage == "adopted" and case.closed_on is None
    assert count(PostClosureReview) == 0


def test_closure_in_the_future_or_of_an_unadopted_case_is_refused(ctx):
    case = adopted_case()
    with pytest.raises(CaseRuleError, match="today or in the past"):
        services.close_case(case, closed_on=TODAY + timedelta(days=1), reason="other", today=TODAY)
    with pytest.raises(CaseRuleError, match="Only an adopted case can be closed"):
        services.close_case(new_case(), closed_on=TODAY, reason="other", today=TODAY)
    assert count(PostClosureReview) == 0


# --- reviews -----------------------------------------------------------------------------


def review_of(case, months: int) -> PostClosureReview:
    return next(r for r in case.reviews if r.months == months)


def test_a_review_more_than_a_week_early_needs_a_reason(ctx):
    case = closed_case(closed_on=date(2026, 3, 31))
    six = review_of(case, 6)
    assert six.due_on == date(2026, 9, 30)
    with pytest.raises(CaseRuleError) as refused:
        services.record_review(six, held_on=date(2026, 9, 22), outcome="no_further_concerns", today=TODAY)
    assert refused.value.field == "early_reason"
    assert "more than a week before it was due (30 September 2026)" in refused.value.message
    assert six.held_on is None and six.outcome is None
    # Exactly a week early needs no reason; neither does late.
    services.record_review(six, held_on=date(2026, 9, 23), outcome="no_further_concerns", today=TODAY)
    assert six.held_on == date(2026, 9, 23)
    twelve = review_of(case, 12)
    services.record_review(
        twelve, held_on=date(2026, 10, 1), outcome="other", early_reason="Moving abroad; panel agreed", today=TODAY
    )
    assert twelve.early_reason == "Moving abroad; panel agreed"


def test_a_review_cannot_be_in_the_future_or_before_closure(ctx):
    case = closed_case(closed_on=date(2026, 3, 31))
    with pytest.raises(CaseRuleError, match="today or in the past"):
        services.record_review(review_of(case, 6), held_on=TODAY + timedelta(days=1), outcome="other", today=TODAY)
    with pytest.raises(CaseRuleError, match="same as or after the closure date"):
        services.record_review(
            review_of(case, 6), held_on=date(2026, 3, 30), outcome="other", early_reason="x", today=TODAY
        )


def test_reviews_due_against_a_meeting_date(ctx):
    case = closed_case(closed_on=date(2025, 8, 31), reference="CP-2025-031")
    # 6-month review due 28 February 2026.
    assert services.reviews_due(date(2026, 2, 27)) == []  # not yet due
    on_the_day = services.reviews_due(date(2026, 2, 28))
    assert [(d.reference, d.months, d.due_on, d.days_overdue) for d in on_the_day] == [
        ("CP-2025-031", 6, date(2026, 2, 28), 0)
    ]
    # Overdue: on every later meeting's list, with the days overdue, until it is held.
    later = services.reviews_due(date(2026, 4, 14))
    assert [(d.months, d.days_overdue) for d in later] == [(6, 45)]
    # Both reviews, oldest first, once the 12-month one is due too.
    both = services.reviews_due(date(2026, 9, 8))
    assert [(d.months, d.due_on, d.days_overdue) for d in both] == [
        (6, date(2026, 2, 28), 192),
        (12, date(2026, 8, 31), 8),
    ]
    services.record_review(review_of(case, 6), held_on=date(2026, 4, 14), outcome="no_further_concerns", today=TODAY)
    # Held at the 14 April meeting: it stays on that meeting's agenda and drops off every later one.
    assert [d.months for d in services.reviews_due(date(2026, 4, 14))] == [6]
    assert services.reviews_due(date(2026, 4, 15)) == []
    assert [d.months for d in services.reviews_due(date(2026, 9, 8))] == [12]
    # An earlier meeting's agenda still shows it as it stood then: due and not yet held.
    assert [d.months for d in services.reviews_due(date(2026, 3, 10))] == [6]


def test_a_review_due_in_a_leap_february_is_due_for_a_meeting_on_the_29th(ctx):
    closed_case(closed_on=date(2027, 8, 31), today=date(2027, 9, 1))
    assert services.reviews_due(date(2028, 2, 28)) == []
    assert [d.due_on for d in services.reviews_due(date(2028, 2, 29))] == [date(2028, 2, 29)]


# --- the anonymised log and figures ------------------------------------------------------


def test_the_log_follows_the_case_and_holds_no_name_or_reference(ctx):
    case = adopted_case(name="Zephyr Leakcheck", organisation_id=None, department="Year 10")
    services.close_case(case, closed_on=date(2026, 5, 15), reason="support_completed", today=TODAY)
    services.record_review(review_of(case, 6), held_on=date(2026, 11, 16), outcome="re_referred", today=TODAY)
    entry = db.session.scalar(select(AnonymisedLogEntry).where(AnonymisedLogEntry.case_id == case.id))
    assert entry.concern_reported_on == date(2026, 1, 5)
    assert entry.discussed_on == case.discussed_on and entry.channel_referral
    assert (entry.stage, entry.closed_on, entry.closure_reason) == ("closed", date(2026, 5, 15), "support_completed")
    assert (entry.review_6_held_on, entry.review_6_outcome) == (date(2026, 11, 16), "re_referred")
    row = figures.log_row(entry)
    assert case.reference not in str(row) and "Zephyr" not in str(row)
    assert row[2:4] == ["Child (under 18)", "School pupil"]
    assert row[6:8] == ["Yes", case.discussed_on.isoformat()]


def test_board_figures_count_the_quarter_from_the_log(ctx):
    # Q1 2026: two referrals (one adopted, one not), one closure from before, reviews due and held.
    adopted_case(referral_date=date(2026, 1, 8), adopted_on=date(2026, 1, 22))
    rejected = new_case(
        concern_reported_on=date(2026, 2, 1), referral_date=date(2026, 2, 2), referring_sector="police", gender="female"
    )
    services.change_stage(
        rejected, stage="not_adopted", on=date(2026, 2, 10), today=TODAY, not_adopted_outcome="no_further_action"
    )
    old = closed_case(closed_on=date(2025, 8, 31), referral_date=date(2025, 6, 2), concern_reported_on=date(2025, 6, 1))
    services.record_review(review_of(old, 6), held_on=date(2026, 3, 10), outcome="no_further_concerns", today=TODAY)

    counts = figures.board_figures(quarter_start=date(2026, 1, 1), quarter_end=date(2026, 3, 31))

    assert counts["referrals"] == 2
    assert (counts["adopted"], counts["not_adopted"], counts["closed"]) == (1, 1, 0)
    assert counts["discussed_at_panel"] == 1
    assert (counts["reviews_due"], counts["reviews_held"], counts["reviews_outstanding"]) == (1, 1, 0)
    assert counts["open_at_end"] == 1
    assert counts["by_sector"]["education"] == 1 and counts["by_sector"]["police"] == 1
    assert sum(counts["by_sector"].values()) == 2 and len(counts["by_sector"]) == 8
    assert counts["by_gender"] == {"male": 1, "female": 1, "other": 0}
    assert counts["by_concern"]["extreme_right_wing"] == 2
    assert counts["by_stage"] == {
        "referral": 0,
        "screening": 0,
        "discussed": 0,
        "adopted": 1,
        "not_adopted": 1,
        "support_plan": 0,
        "closed": 1,
    }
    # The previous quarter saw the old case's closure and no reviews.
    before = figures.board_figures(quarter_start=date(2025, 7, 1), quarter_end=date(2025, 9, 30))
    assert (before["closed"], before["reviews_due"], before["referrals"]) == (1, 0, 0)
    assert before["by_stage"]["closed"] == 1 and before["by_stage"]["adopted"] == 0
