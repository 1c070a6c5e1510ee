"""Channel case rules: references, stages, consent, closure, reviews, the anonymised log, figures.

Functions add and flush, never commit; the audit trail is written in the same transaction.
A rule that refuses raises CaseRuleError naming the form field it concerns, before anything
is changed, so a refusal never leaves a half-saved case.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from channel_panel.dates import REVIEW_MONTHS, review_due_on
from channel_panel.models import (
    AnonymisedLogEntry,
    CasePersonalDetails,
    ChannelCase,
    InformationShare,
    PostClosureReview,
    SupportPlanItem,
)
from channel_panel.vocab import (
    OPEN_STAGES,
    CaseStage,
    ClosureReason,
    Consent,
    IndividualType,
    LegalBasis,
    LifeStage,
    NotAdoptedOutcome,
    ReviewOutcome,
    SupportStatus,
)
from core import accounts
from core.extensions import db
from core.models import User
from core.vocab import REFERRAL_CATEGORIES

REFERENCE_PATTERN = re.compile(r"^CP-(\d{4})-(\d{3,5})$")
#: A review held more than this many days before it is due needs a reason.
EARLY_REVIEW_DAYS = 7


class CaseRuleError(ValueError):
    """A case rule refused the change; ``field`` names the form field it concerns."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _require_member(vocabulary, value: str | None, field: str, message: str) -> None:
    if value not in {m.value for m in vocabulary}:
        raise CaseRuleError(field, message)


def _not_future(field: str, label: str, day: date | None, today: date) -> None:
    if day is not None and day > today:
        raise CaseRuleError(field, f"{label} must be today or in the past")


# --- references --------------------------------------------------------------------------


def normalise_reference(text: str) -> str:
    return (text or "").strip().upper()


def reference_problem(reference: str) -> str | None:
    """Why a reference someone typed cannot be used, or None."""
    if not REFERENCE_PATTERN.match(reference):
        return "Enter the case reference in the format CP-YYYY-NNN, like CP-2026-014"
    if reference_taken(reference):
        return f"A case with the reference {reference} already exists"
    return None


def reference_taken(reference: str) -> bool:
    return db.session.scalar(select(func.count()).where(ChannelCase.reference == reference)) > 0


def next_reference(year: int) -> str:
    """The next free reference for a referral made in ``year``: CP-2026-001, CP-2026-002 ..."""
    taken = db.session.scalars(select(ChannelCase.reference).where(ChannelCase.reference.like(f"CP-{year}-%")))
    numbers = [int(m.group(2)) for r in taken if (m := REFERENCE_PATTERN.match(r))]
    return f"CP-{year}-{max(numbers, default=0) + 1:03d}"


# --- cases -------------------------------------------------------------------------------


@dataclass
class CaseDetails:
    """What the new-case and edit-case forms hold (everything but stage and closure)."""

    concern_reported_on: date
    referral_date: date
    referring_sector: str
    concern_type: str
    age_band: str
    gender: str
    life_stage: str
    individual_type: str = IndividualType.NOT_APPLICABLE.value
    business_area_id: int | None = None
    organisation_id: int | None = None
    department: str = ""
    consent: str = Consent.NOT_SOUGHT.value
    consent_on: date | None = None


def _check_details(details: CaseDetails, *, today: date, case: ChannelCase | None = None) -> None:
    for dimension, field in (
        ("sector", "referring_sector"),
        ("concern", "concern_type"),
        ("age_band", "age_band"),
        ("gender", "gender"),
    ):
        if getattr(details, field) not in dict(REFERRAL_CATEGORIES[dimension]):
            raise CaseRuleError(field, f"Select the {field.replace('_', ' ')}")
    _require_member(LifeStage, details.life_stage, "life_stage", "Select whether the individual is a child or an adult")
    _require_member(IndividualType, details.individual_type, "individual_type", "Select the individual's status")
    _require_member(Consent, details.consent, "consent", "Select where consent stands")
    _not_future("concern_reported_on", "The date the concern was reported", details.concern_reported_on, today)
    _not_future("referral_date", "The referral date", details.referral_date, today)
    if details.referral_date < details.concern_reported_on:
        raise CaseRuleError(
            "referral_date",
            f"The referral date must be the same as or after the date the concern was reported "
            f"({_long(details.concern_reported_on)})",
        )
    if details.consent != Consent.NOT_SOUGHT.value and details.consent_on is None:
        raise CaseRuleError("consent_on", "Enter the date consent was sought, given or declined")
    _not_future("consent_on", "The consent date", details.consent_on, today)
    if case is not None:
        stage_dates = [case.reached_on(s) for s in CaseStage if s is not CaseStage.REFERRAL]
        earliest = min((d for d in stage_dates if d is not None), default=None)
        if earliest is not None and details.referral_date > earliest:
            raise CaseRuleError(
                "referral_date",
                f"The referral date must be on or before the case's first stage date ({_long(earliest)})",
            )
        if case.stage in (CaseStage.SUPPORT_PLAN.value, CaseStage.CLOSED.value) and details.consent != "given":
            raise CaseRuleError("consent", "Consent was given for this case's support plan: it cannot be changed now")


def create_case(*, details: CaseDetails, today: date, reference: str = "", personal: dict | None = None) -> ChannelCase:
    """Open a case at the referral stage, with its anonymised log entry and (optionally) the
    personal details. ``reference`` is generated unless given (e.g. a case moving from paper)."""
    _check_details(details, today=today)
    reference = normalise_reference(reference)
    if reference:
        problem = reference_problem(reference)
        if problem:
            raise CaseRuleError("reference", problem)
    else:
        reference = next_reference(details.referral_date.year)
    case = ChannelCase(reference=reference, stage=CaseStage.REFERRAL.value, **vars(details))
    _clean_text(case)
    db.session.add(case)
    if personal and any(v for v in personal.values()):
        save_personal_details(case, today=today, **personal)
    db.session.flush()
    sync_log(case)
    return case


def update_case(case: ChannelCase, *, details: CaseDetails, today: date) -> None:
    _check_details(details, today=today, case=case)
    for key, value in vars(details).items():
        setattr(case, key, value)
    _clean_text(case)
    db.session.flush()
    sync_log(case)


def _clean_text(case: ChannelCase) -> None:
    case.department = (case.department or "").strip()


def change_stage(
    case: ChannelCase, *, stage: str, on: date, today: date, not_adopted_outcome: str | None = None
) -> None:
    """Move a case on to one of its next stages, dated. Not adopted needs the outcome;
    a support plan needs consent given. Closing is close_case."""
    new = CaseStage(stage)
    if new not in case.stage_enum.next_stages:
        allowed = ", ".join(s.label.lower() for s in case.stage_enum.next_stages) or "none (close it instead)"
        raise CaseRuleError("stage", f"A case at {case.stage_enum.label.lower()} can move on to: {allowed}")
    _check_stage_date(case, on, today=today, field="on", label="The date")
    if new is CaseStage.NOT_ADOPTED:
        _require_member(
            NotAdoptedOutcome,
            not_adopted_outcome,
            "not_adopted_outcome",
            "Select what happened to the case when it was not adopted",
        )
        case.not_adopted_outcome = not_adopted_outcome
    if new is CaseStage.SUPPORT_PLAN and case.consent != Consent.GIVEN.value:
        raise CaseRuleError("stage", "Record that consent was given before the support plan starts")
    setattr(case, new.date_field, on)
    case.stage = new.value
    db.session.flush()
    sync_log(case)


def record_consent(case: ChannelCase, *, consent: str, on: date | None, today: date) -> None:
    """Record where consent to support stands, and when (Channel is voluntary)."""
    _require_member(Consent, consent, "consent", "Select where consent stands")
    if consent != Consent.NOT_SOUGHT.value and on is None:
        raise CaseRuleError("consent_on", "Enter the date consent was sought, given or declined")
    _not_future("consent_on", "The consent date", on, today)
    if case.stage in (CaseStage.SUPPORT_PLAN.value, CaseStage.CLOSED.value) and consent != Consent.GIVEN.value:
        raise CaseRuleError("consent", "Consent was given for this case's support plan: it cannot be changed now")
    case.consent = consent
    case.consent_on = on if consent != Consent.NOT_SOUGHT.value else None
    db.session.flush()


def _check_stage_date(case: ChannelCase, on: date, *, today: date, field: str, label: str) -> None:
    _not_future(field, label, on, today)
    latest = case.last_stage_date
    if on < latest:
        what = "referral date" if latest == case.referral_date else "date of the case's last stage change"
        raise CaseRuleError(field, f"{label} must be the same as or after the {what} ({_long(latest)})")


def closure_problem(case: ChannelCase, *, closed_on: date, reason: str, today: date) -> CaseRuleError | None:
    """Why the case cannot be closed as asked (checked before the confirmation page too)."""
    if not case.stage_enum.can_close:
        return CaseRuleError("closed_on", f"Only an adopted case can be closed; this one is {case.stage_enum.label}")
    if reason not in {r.value for r in ClosureReason}:
        return CaseRuleError("reason", "Select why the case is closing")
    if closed_on < case.referral_date:
        return CaseRuleError(
            "closed_on",
            f"The closure date must be the same as or after the referral date ({_long(case.referral_date)})",
        )
    try:
        _check_stage_date(case, closed_on, today=today, field="closed_on", label="The closure date")
    except CaseRuleError as error:
        return error
    return None


def close_case(case: ChannelCase, *, closed_on: date, reason: str, note: str = "", today: date) -> None:
    """Close the case and schedule its 6- and 12-month post-closure reviews."""
    problem = closure_problem(case, closed_on=closed_on, reason=reason, today=today)
    if problem:
        raise problem
    case.stage = CaseStage.CLOSED.value
    case.closed_on = closed_on
    case.closure_reason = reason
    case.closure_note = (note or "").strip()
    for months in REVIEW_MONTHS:
        case.reviews.append(PostClosureReview(months=months, due_on=review_due_on(closed_on, months)))
    db.session.flush()
    sync_log(case)


# --- personal details --------------------------------------------------------------------


def save_personal_details(
    case: ChannelCase,
    *,
    full_name: str = "",
    other_names: str = "",
    date_of_birth: date | None = None,
    address: str = "",
    today: date,
) -> CasePersonalDetails:
    _not_future("date_of_birth", "The date of birth", date_of_birth, today)
    personal = case.personal or CasePersonalDetails()
    personal.full_name = (full_name or "").strip()
    personal.other_names = (other_names or "").strip()
    personal.date_of_birth = date_of_birth
    personal.address = (address or "").strip()
    case.personal = personal
    db.session.flush()
    return personal


def open_personal_details(case: ChannelCase, *, user: User) -> CasePersonalDetails | None:
    """The case's personal details, with a security event saying who opened them (never what
    they hold). The only way the pages reach them; the caller checks the policy. The event is
    recorded whatever becomes of the request: the details were shown, or about to be."""
    # The event names the case by its record number: the security log is read outside the panel.
    accounts.log_event("personal_details_opened", user=user, detail=f"Channel case #{case.id}", survives_rollback=True)
    return case.personal


# --- support plan and information sharing ------------------------------------------------


def add_support_item(case: ChannelCase, *, need: str, provider: str, status: str) -> SupportPlanItem:
    item = SupportPlanItem(need=need.strip(), provider=(provider or "").strip(), status=SupportStatus(status).value)
    case.support_items.append(item)
    db.session.flush()
    return item


def update_support_item(item: SupportPlanItem, *, need: str, provider: str, status: str) -> None:
    item.need = need.strip()
    item.provider = (provider or "").strip()
    item.status = SupportStatus(status).value
    db.session.flush()


def add_share(
    case: ChannelCase, *, shared_on: date, shared_with: str, what: str, legal_basis: str, today: date
) -> InformationShare:
    """Log that information about the individual was shared: when, with whom, what and why."""
    _not_future("shared_on", "The date shared", shared_on, today)
    if shared_on < case.concern_reported_on:
        raise CaseRuleError(
            "shared_on",
            "The date shared must be on or after the date the concern was reported "
            f"({_long(case.concern_reported_on)})",
        )
    share = InformationShare(
        shared_on=shared_on,
        shared_with=shared_with.strip(),
        what=what.strip(),
        legal_basis=LegalBasis(legal_basis).value,
    )
    case.shares.append(share)
    db.session.flush()
    return share


# --- post-closure reviews ----------------------------------------------------------------


def record_review(
    review: PostClosureReview, *, held_on: date, outcome: str, note: str = "", early_reason: str = "", today: date
) -> None:
    """Record a post-closure review. More than a week before its due date needs a reason."""
    _not_future("held_on", "The date the review was held", held_on, today)
    closed_on = review.case.closed_on
    if held_on < closed_on:
        raise CaseRuleError(
            "held_on", f"The review date must be the same as or after the closure date ({_long(closed_on)})"
        )
    early = held_on < review.due_on - timedelta(days=EARLY_REVIEW_DAYS)
    if early and not (early_reason or "").strip():
        raise CaseRuleError(
            "early_reason",
            f"Give a reason for holding the review more than a week before it was due ({_long(review.due_on)})",
        )
    review.held_on = held_on
    review.outcome = ReviewOutcome(outcome).value
    review.note = (note or "").strip()
    review.early_reason = (early_reason or "").strip() if early else ""
    db.session.flush()
    sync_log(review.case)


@dataclass
class ReviewDue:
    review: PostClosureReview
    reference: str
    case_id: int
    months: int
    due_on: date
    #: The day the case closed, which the review dates count from.
    closed_on: date | None
    #: Days from the due date to the meeting (0 when due on the meeting day).
    days_overdue: int

    @property
    def kind_label(self) -> str:
        return f"{self.months}-month review"


def reviews_due(meeting_date: date) -> list[ReviewDue]:
    """Post-closure reviews due for a meeting on ``meeting_date``: due on or before it and not
    held before it. One held on the meeting day stays on that meeting's agenda (it was
    discussed there) and drops off every later one; an overdue review stays on every agenda
    until it is held."""
    rows = db.session.execute(
        select(PostClosureReview, ChannelCase.reference, ChannelCase.closed_on)
        .join(ChannelCase, PostClosureReview.case_id == ChannelCase.id)
        .where(
            PostClosureReview.due_on <= meeting_date,
            or_(PostClosureReview.held_on.is_(None), PostClosureReview.held_on >= meeting_date),
        )
        .order_by(PostClosureReview.due_on, ChannelCase.reference, PostClosureReview.months)
    ).all()
    return [
        ReviewDue(
            review=review,
            reference=reference,
            case_id=review.case_id,
            months=review.months,
            due_on=review.due_on,
            closed_on=closed_on,
            days_overdue=(meeting_date - review.due_on).days,
        )
        for review, reference, closed_on in rows
    ]


def overdue_review_count(today: date) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(PostClosureReview)
        .where(PostClosureReview.due_on < today, PostClosureReview.held_on.is_(None))
    )


# --- lists -------------------------------------------------------------------------------

CASE_SORTS = {
    "newest": (ChannelCase.referral_date.desc(), ChannelCase.reference.desc()),
    "oldest": (ChannelCase.referral_date, ChannelCase.reference),
    "reference": (ChannelCase.reference,),
    "stage": (ChannelCase.stage, ChannelCase.reference),
}


def case_query(*, q: str = "", stage: str = "", sort: str = "newest") -> Select:
    """Cases matching a reference search and a stage filter ("open", a stage, or all)."""
    query = select(ChannelCase)
    q = normalise_reference(q)[:20]
    if q:
        query = query.where(ChannelCase.reference.contains(q, autoescape=True))
    if stage == "open":
        query = query.where(ChannelCase.stage.in_(OPEN_STAGES))
    elif stage in {s.value for s in CaseStage}:
        query = query.where(ChannelCase.stage == stage)
    return query.order_by(*CASE_SORTS.get(sort, CASE_SORTS["newest"]))


def open_case_counts() -> dict[str, int]:
    """Open cases by stage, every open stage listed (anonymised counts)."""
    rows = dict(
        db.session.execute(
            select(ChannelCase.stage, func.count())
            .where(ChannelCase.stage.in_(OPEN_STAGES))
            .group_by(ChannelCase.stage)
        ).all()
    )
    return {stage: int(rows.get(stage, 0)) for stage in OPEN_STAGES}


@dataclass(frozen=True)
class LogExtent:
    """What an auditor sees of the anonymised log: that it exists and is kept, counted."""

    entries: int
    #: Entries whose case material has been deleted (six years on) while the entry is kept.
    material_deleted: int
    #: The year of the earliest concern in the log, or None when the log is empty.
    first_year: int | None


def log_extent() -> LogExtent:
    """The anonymised log counted, in one query: its size, how many entries outlived their case
    material, and since when it has been kept (a year, never a date)."""
    entries, deleted, first = db.session.execute(
        select(
            func.count(AnonymisedLogEntry.id),
            func.count(AnonymisedLogEntry.material_deleted_on),
            func.min(AnonymisedLogEntry.concern_reported_on),
        )
    ).one()
    first = date.fromisoformat(str(first)[:10]) if first is not None else None
    return LogExtent(entries=int(entries), material_deleted=int(deleted), first_year=first.year if first else None)


def load_case(case_id: int) -> ChannelCase | None:
    return db.session.scalar(
        select(ChannelCase)
        .where(ChannelCase.id == case_id)
        .options(
            selectinload(ChannelCase.support_items),
            selectinload(ChannelCase.shares),
            selectinload(ChannelCase.reviews),
        )
    )


# --- the anonymised log ------------------------------------------------------------------

_LOG_FIELDS = [
    "concern_reported_on",
    "referral_date",
    "life_stage",
    "individual_type",
    "organisation_id",
    "department",
    "referring_sector",
    "concern_type",
    "age_band",
    "gender",
    "stage",
    "screened_on",
    "discussed_on",
    "adopted_on",
    "not_adopted_on",
    "support_plan_on",
    "closed_on",
    "not_adopted_outcome",
    "closure_reason",
]


def sync_log(case: ChannelCase) -> AnonymisedLogEntry:
    """Bring the case's anonymised log entry up to date (creating it for a new case)."""
    entry = db.session.scalar(select(AnonymisedLogEntry).where(AnonymisedLogEntry.case_id == case.id))
    if entry is None:
        entry = AnonymisedLogEntry(case_id=case.id)
        db.session.add(entry)
    for name in _LOG_FIELDS:
        setattr(entry, name, getattr(case, name))
    held = {r.months: r for r in case.reviews}
    for months in REVIEW_MONTHS:
        review = held.get(months)
        setattr(entry, f"review_{months}_held_on", review.held_on if review else None)
        setattr(entry, f"review_{months}_outcome", review.outcome if review else None)
    db.session.flush()
    return entry
