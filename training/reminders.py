"""Training's reminder rule: a monthly digest of WRAP refreshers falling due, for training coordinators."""

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from core.extensions import db
from core.reminders import (
    REFRESHER_LEAD_DAYS,
    Reminder,
    ReminderKind,
    active_users_with,
    footer,
    link,
)
from core.vocab import Role
from partnership.models import Organisation
from training.models import Completion, Course, Person


def training_refresher_reminders(today: date) -> Iterator[Reminder]:
    """A monthly digest to training coordinators: completions expiring within 60 days that no
    later completion of the same course replaces, counted by organisation. Trainees themselves
    are not emailed: most have no account, and a coordinator arranges the sessions."""

    later = aliased(Completion)
    rows = db.session.execute(
        select(Organisation.name, Course.name, func.count(), func.min(Completion.expires_on))
        .select_from(Completion)
        .join(Person, Person.id == Completion.person_id)
        .join(Course, Course.id == Completion.course_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(
            Completion.expires_on >= today,
            Completion.expires_on <= today + timedelta(days=REFRESHER_LEAD_DAYS),
            Person.left_on.is_(None),
            Course.active.is_(True),
            ~exists().where(
                later.person_id == Completion.person_id,
                later.course_id == Completion.course_id,
                later.completed_on > Completion.completed_on,
            ),
        )
        .group_by(Organisation.name, Course.name)
        .order_by(Organisation.name, Course.name)
    ).all()
    if not rows:
        return
    total = sum(r[2] for r in rows)
    lines = [f"- {org}, {course}: {count} (first on {first:%-d %B %Y})" for org, course, count, first in rows]
    for user in active_users_with(Role.TRAINING_COORDINATOR):
        body = (
            f"{total} training completion{'s' if total != 1 else ''} expire in the next {REFRESHER_LEAD_DAYS} days "
            "and have not been renewed:\n\n" + "\n".join(lines) + "\n\n"
            f"Coverage and the people concerned: {link('training.show_coverage')}" + footer()
        )
        yield Reminder(
            user=user,
            kind=ReminderKind.TRAINING_REFRESHER,
            subject=f"Training refreshers due: {total} completion{'s' if total != 1 else ''} expiring",
            body=body,
            dedupe_key=f"training_refresher:{today:%Y-%m}:u{user.id}",
        )
