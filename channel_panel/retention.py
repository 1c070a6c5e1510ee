"""Retention: case material is deleted six years after the concern was reported.

A case is due on its retention date (channel_panel.dates.retention_date) and deleted on
that day or at the first run after it: personal details, support plan, information-sharing
log, reviews and the case record itself. The anonymised log entry stays, marked with the
deletion date. Each deletion is one audit entry, under the case's record number (never its
reference, as elsewhere in the trail), that says what kinds of record went, never their
content. A case still open on its retention date is not deleted: the run lists it so the
chair can close it or record why it is kept.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select

from channel_panel.dates import RETENTION_YEARS, retention_date
from channel_panel.models import (
    AnonymisedLogEntry,
    CasePersonalDetails,
    ChannelCase,
    InformationShare,
    PostClosureReview,
    SupportPlanItem,
)
from channel_panel.vocab import OPEN_STAGES
from core.audit import AuditEntry
from core.extensions import db
from core.retention import RetentionItem as ScheduleItem
from core.retention import RetentionSchedule

_MATERIAL = [
    (CasePersonalDetails, "personal details"),
    (SupportPlanItem, "support plan items"),
    (InformationShare, "information-sharing log entries"),
    (PostClosureReview, "post-closure reviews"),
]
_ONE = {
    "support plan items": "support plan item",
    "information-sharing log entries": "information-sharing log entry",
    "post-closure reviews": "post-closure review",
}


@dataclass
class RetentionItem:
    case_id: int
    reference: str
    concern_reported_on: date
    due_on: date
    still_open: bool
    #: What would go: {"personal details": 1, "support plan items": 3, ...}
    material: dict[str, int]

    @property
    def summary(self) -> str:
        """E.g. "the case record, personal details, 2 support plan items, 2 post-closure reviews"."""
        parts = ["the case record"]
        for kind, n in self.material.items():
            if kind == "personal details" and n:
                parts.append(kind)
            elif n:
                parts.append(f"{n} {_ONE[kind] if n == 1 else kind}")
        return ", ".join(parts)


def retention_due(today: date) -> list[RetentionItem]:
    """Cases whose retention date is today or earlier, oldest first (open ones flagged)."""
    # Six years back from today bounds the search; retention_date() decides each case exactly.
    cases = db.session.scalars(
        select(ChannelCase)
        .where(ChannelCase.concern_reported_on <= date(today.year - 6, 12, 31))
        .order_by(ChannelCase.concern_reported_on, ChannelCase.reference)
    ).all()
    due = []
    for case in cases:
        due_on = retention_date(case.concern_reported_on)
        if due_on > today:
            continue
        due.append((case, due_on))
    # One grouped count per kind of material, not one per case.
    ids = [case.id for case, _ in due]
    counts = {
        label: dict(
            db.session.execute(
                select(model.case_id, func.count()).where(model.case_id.in_(ids)).group_by(model.case_id)
            ).all()
        )
        for model, label in (_MATERIAL if ids else [])
    }
    items = []
    for case, due_on in due:
        material = {label: counts[label].get(case.id, 0) for _, label in _MATERIAL}
        items.append(
            RetentionItem(
                case_id=case.id,
                reference=case.reference,
                concern_reported_on=case.concern_reported_on,
                due_on=due_on,
                still_open=case.stage in OPEN_STAGES,
                material=material,
            )
        )
    return items


def apply_retention(*, today: date, actor_label: str, actor_id: int | None = None) -> list[RetentionItem]:
    """Delete the material of every closed case due on ``today``; return what was deleted.

    Deletes with SQL statements rather than through the ORM so that the automatic audit entry,
    which copies every field of a deleted record, is not written; one entry per case is
    written here instead, without the content. Flushes, never commits.
    """
    deleted = []
    for item in retention_due(today):
        if item.still_open:
            continue
        for model, _ in _MATERIAL:
            db.session.execute(delete(model).where(model.case_id == item.case_id))
        entry = db.session.scalar(select(AnonymisedLogEntry).where(AnonymisedLogEntry.case_id == item.case_id))
        if entry is not None:  # through the ORM, so the audit trail shows the entry marked
            entry.case_id = None
            entry.material_deleted_on = today
            db.session.flush()
        db.session.execute(delete(ChannelCase).where(ChannelCase.id == item.case_id))
        db.session.add(
            AuditEntry(
                actor_id=actor_id,
                actor_label=actor_label,
                action="delete",
                entity=ChannelCase.__tablename__,
                entity_id=item.case_id,
                label="deleted under retention",
                changes={
                    "retention": [
                        None,
                        f"deleted under the six-year retention rule (due {item.due_on.isoformat()}): {item.summary}",
                    ]
                },
            )
        )
        deleted.append(item)
    db.session.flush()
    db.session.expire_all()
    return deleted


# --- the schedule the kernel runs (core.retention) -------------------------------------------

_KEEP_OPEN = "still open; close it, or record why it must be kept"


def _find(day: date) -> list[ScheduleItem]:
    return [
        ScheduleItem(
            key=item.reference,
            due_on=item.due_on,
            summary=f"concern reported {item.concern_reported_on.isoformat()}: {item.summary}",
            kept=_KEEP_OPEN if item.still_open else "",
        )
        for item in retention_due(day)
    ]


def _remove(day: date, items: list[ScheduleItem]) -> None:
    # apply_retention decides the cases again from the same rule, in the same transaction.
    apply_retention(today=day, actor_label="flask retention run")


SCHEDULE = RetentionSchedule(
    name="channel_cases",
    title="Channel case material",
    what="A case's record, personal details, support plan, information-sharing log and reviews "
    "(the anonymised log entry stays, for ever)",
    period=lambda: f"{RETENTION_YEARS} years after the concern was reported",
    default=f"{RETENTION_YEARS} years",
    reason="the Cambridge supplement: material naming an individual is deleted six years after the date "
    "the concern was reported; an anonymised log is kept in perpetuity",
    find=_find,
    remove=_remove,
    verb="deleted",
)
