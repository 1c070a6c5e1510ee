"""Retention of leavers' training records: a person who has left, and their completions, are
deleted a set number of months after the day they left (a partnership setting, 24 by default).

A leaver's training stops counting the day they leave (training.coverage), so their records only
hold up coverage figures of dates before that day. The default keeps them for two years: every
figure of the last complete year stays as it was throughout the following year, when the annual
audit checks it. Their evaluations stay, without their name (an evaluation may be anonymous), so
session averages do not change. Each person deleted is one audit entry under their record number,
saying what went but not their name, email or staff number; the entries that recorded those
when the person was added or changed are redacted to match.
"""

from datetime import date

from sqlalchemy import delete, func, select, update

from core.audit import AuditEntry, redact_history
from core.dates import add_months
from core.extensions import db
from core.retention import RetentionItem, RetentionSchedule
from partnership.models import Organisation
from partnership.services import current_partnership
from training.models import Completion, Evaluation, Person

DEFAULT_MONTHS = 24
#: What names a person in their records' audit entries.
_PERSONAL = ["name", "email", "staff_number", "role", "team"]
REASON = (
    "a leaver's training stops counting the day they leave; two years keeps every coverage figure of "
    "the last complete year as it was throughout the next, when the annual audit checks it"
)


def retention_months() -> int:
    """The partnership's setting (the default when there is no partnership yet)."""
    partnership = current_partnership()
    return partnership.leaver_retention_months if partnership else DEFAULT_MONTHS


def find(day: date) -> list[RetentionItem]:
    """Leavers of the partnership's organisations whose period ended on or before ``day``."""
    partnership = current_partnership()
    if partnership is None:
        return []
    months = partnership.leaver_retention_months
    latest = add_months(day, -months)
    completions = select(Completion.person_id, func.count().label("n")).group_by(Completion.person_id).subquery()
    evaluations = select(Evaluation.person_id, func.count().label("n")).group_by(Evaluation.person_id).subquery()
    rows = db.session.execute(
        select(Person.id, Person.left_on, completions.c.n, evaluations.c.n)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(completions, completions.c.person_id == Person.id)
        .outerjoin(evaluations, evaluations.c.person_id == Person.id)
        .where(Organisation.partnership_id == partnership.id, Person.left_on.is_not(None), Person.left_on <= latest)
        .order_by(Person.left_on, Person.id)
    ).all()
    items = []
    for person_id, left_on, n_completions, n_evaluations in rows:
        due_on = add_months(left_on, months)
        if due_on > day:
            continue
        summary = f"left {left_on.isoformat()}: the person, {n_completions or 0} completion(s)"
        if n_evaluations:
            summary += f"; {n_evaluations} evaluation(s) kept without their name"
        items.append(RetentionItem(key=f"person #{person_id}", due_on=due_on, summary=summary))
    return items


def remove(day: date, items: list[RetentionItem]) -> None:
    """Delete each leaver and their completions with SQL statements (the automatic audit entries
    would copy every field, name and email included); one entry each instead. Flushes only."""
    months = retention_months()
    for item in items:
        person_id = int(item.key.removeprefix("person #"))
        db.session.execute(update(Evaluation).where(Evaluation.person_id == person_id).values(person_id=None))
        db.session.execute(delete(Completion).where(Completion.person_id == person_id))
        db.session.execute(delete(Person).where(Person.id == person_id))
        # The trail's own copies: the entries that recorded the person's details when they were
        # added or changed.
        redact_history(Person.__tablename__, person_id, _PERSONAL, label="deleted under retention")
        db.session.add(
            AuditEntry(
                actor_label="flask retention run",
                action="delete",
                entity=Person.__tablename__,
                entity_id=person_id,
                label="deleted under retention",
                changes={
                    "retention": [
                        None,
                        f"deleted {months} months after leaving (due {item.due_on.isoformat()}): {item.summary}",
                    ]
                },
            )
        )
    db.session.flush()
    db.session.expire_all()


SCHEDULE = RetentionSchedule(
    name="training_leavers",
    title="Leavers' training records",
    what="A person who has left their organisation (name, email, staff number, role) and their completions; "
    "their evaluations stay without their name",
    period=lambda: f"{retention_months()} months after leaving",
    default=f"{DEFAULT_MONTHS} months, a partnership setting",
    reason=REASON,
    find=find,
    remove=remove,
)
