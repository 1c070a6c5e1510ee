"""Retention: case material goes six years after the concern was reported; the log stays."""

from datetime import date, timedelta

from sqlalchemy import func, select

from channel_panel import figures, retention, services
from channel_panel.dates import add_months
from channel_panel.models import (
    AnonymisedLogEntry,
    CasePersonalDetails,
    ChannelCase,
    InformationShare,
    PostClosureReview,
    SupportPlanItem,
)
from core.audit import AuditEntry
from core.extensions import db
from core.models import SecurityEvent
from tests.channel_panel.factories import SECRET_ADDRESS, SECRET_NAMES, closed_case

TODAY = date(2026, 11, 20)
MATERIAL = [ChannelCase, CasePersonalDetails, SupportPlanItem, InformationShare, PostClosureReview]


def count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def old_case(reported: date, *, name: str, reference: str) -> ChannelCase:
    """A closed case with every kind of material: personal details, support, sharing, reviews."""
    case = closed_case(
        closed_on=reported + timedelta(days=120),
        concern_reported_on=reported,
        referral_date=reported + timedelta(days=2),
        reference=reference,
        name=name,
        today=TODAY,
    )
    services.add_support_item(case, need=f"Mentoring for {name}", provider="Intervention provider", status="completed")
    services.add_share(
        case,
        shared_on=reported + timedelta(days=3),
        shared_with="Children's social care",
        what=f"Referral form naming {name} at {SECRET_ADDRESS}",
        legal_basis="safeguarding",
        today=TODAY,
    )
    for review in case.reviews:
        services.record_review(review, held_on=review.due_on, outcome="no_further_concerns", note=name, today=TODAY)
    return case


def boundary_cases() -> dict[str, int]:
    """Three cases whose retention dates are tomorrow, today and yesterday."""
    six_years_ago = add_months(TODAY, -72)
    cases = {
        "day before": old_case(six_years_ago + timedelta(days=1), name=SECRET_NAMES[0], reference="CP-2020-001"),
        "the day": old_case(six_years_ago, name=SECRET_NAMES[1], reference="CP-2020-002"),
        "day after": old_case(six_years_ago - timedelta(days=1), name="Orla Thirdcase", reference="CP-2020-003"),
    }
    db.session.flush()
    return {label: case.id for label, case in cases.items()}


def test_material_is_deleted_on_its_retention_date_and_after_but_not_the_day_before(ctx):
    ids = boundary_cases()

    due = retention.retention_due(TODAY)

    assert [i.reference for i in due] == ["CP-2020-003", "CP-2020-002"]
    assert due[1].due_on == TODAY and due[0].due_on == TODAY - timedelta(days=1)
    assert due[1].material == {
        "personal details": 1,
        "support plan items": 1,
        "information-sharing log entries": 1,
        "post-closure reviews": 2,
    }

    deleted = retention.apply_retention(today=TODAY, actor_label="flask retention run")

    assert sorted(i.case_id for i in deleted) == sorted([ids["the day"], ids["day after"]])
    for label in ("the day", "day after"):
        for model in MATERIAL:
            key = "id" if model is ChannelCase else "case_id"
            assert count(model, **{key: ids[label]}) == 0, (label, model)
    kept = db.session.get(ChannelCase, ids["day before"])
    assert kept is not None and kept.personal.full_name == SECRET_NAMES[0]
    assert len(kept.reviews) == 2 and len(kept.shares) == 1 and len(kept.support_items) == 1


def test_the_anonymised_log_keeps_every_entry_after_deletion(ctx):
    boundary_cases()
    before = {e.concern_reported_on: figures.log_row(e)[1:14] for e in db.session.scalars(select(AnonymisedLogEntry))}

    retention.apply_retention(today=TODAY, actor_label="flask retention run")

    entries = db.session.scalars(select(AnonymisedLogEntry).order_by(AnonymisedLogEntry.concern_reported_on)).all()
    assert len(entries) == 3
    after = {e.concern_reported_on: figures.log_row(e)[1:14] for e in entries}
    assert after == before  # date raised, status, organisation, referral, outcome, reviews: all intact
    gone = [e for e in entries if e.material_deleted_on]
    assert [e.material_deleted_on for e in gone] == [TODAY, TODAY]
    assert all(e.case_id is None for e in gone)
    assert entries[-1].case_id is not None and entries[-1].material_deleted_on is None


def test_each_deletion_is_audited_without_the_deleted_content(ctx):
    ids = boundary_cases()

    retention.apply_retention(today=TODAY, actor_label="flask retention run")

    deletions = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "channel_cases", AuditEntry.action == "delete")
    ).all()
    assert sorted(e.entity_id for e in deletions) == sorted([ids["the day"], ids["day after"]])
    assert {e.label for e in deletions} == {"deleted under retention"}
    assert all(e.actor_label == "flask retention run" for e in deletions)
    assert all(list(e.changes) == ["retention"] for e in deletions)
    assert (
        deletions[0]
        .changes["retention"][1]
        .endswith(
            "the case record, personal details, 1 support plan item, 1 information-sharing log entry, "
            "2 post-closure reviews"
        )
    )
    # Nothing anywhere in the audit trail holds a name, an address or free text naming them.
    every = db.session.scalars(select(AuditEntry)).all()
    text = " ".join(f"{e.label} {e.changes}" for e in every)
    for secret in [*SECRET_NAMES, "Orla Thirdcase", SECRET_ADDRESS, "Hidden Close", "CP-2020-00"]:
        assert secret not in text  # no name, no address, and no case reference either
    assert "[redacted]" in text  # the personal details were recorded as changed, not what they said


def test_an_open_case_past_its_retention_date_is_kept_and_listed(ctx):
    reported = add_months(TODAY, -80)
    case = services.create_case(
        details=services.CaseDetails(
            concern_reported_on=reported,
            referral_date=reported,
            referring_sector="police",
            concern_type="islamist",
            age_band="21_30",
            gender="male",
            life_stage="adult",
        ),
        today=TODAY,
    )
    due = retention.retention_due(TODAY)
    assert [(i.reference, i.still_open) for i in due] == [(case.reference, True)]
    assert retention.apply_retention(today=TODAY, actor_label="test") == []
    assert db.session.get(ChannelCase, case.id) is not None


def test_opening_personal_details_is_logged_without_their_contents(ctx):
    from tests.factories import UserFactory

    user = UserFactory(roles=["panel_member"])
    case = closed_case(closed_on=date(2026, 6, 1), name=SECRET_NAMES[0])
    personal = services.open_personal_details(case, user=user)
    db.session.flush()
    assert personal.full_name == SECRET_NAMES[0]
    event = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == "personal_details_opened")).one()
    assert (event.user_id, event.detail) == (user.id, f"Channel case #{case.id}")
    assert SECRET_NAMES[0] not in f"{event.detail} {event.path}" and case.reference not in event.detail
