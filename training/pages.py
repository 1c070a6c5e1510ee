"""Small helpers the training view modules share."""

from datetime import date

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from core import clock
from core.auth import forbid_unless
from core.extensions import db
from core.forms import bad_date_message
from partnership.models import Organisation
from training.access import can_see_people
from training.forms import AsOfForm


def get_or_404(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def require_people_access() -> None:
    """403 (logged) unless the user may see staff names and records."""
    forbid_unless(can_see_people(current_user))


def organisations(*, active_only: bool = True) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    if active_only:
        query = query.where(Organisation.active.is_(True))
    return list(db.session.scalars(query))


def int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def as_of_from_request() -> tuple[date, AsOfForm]:
    """The date to measure coverage on: an ISO date from a link, the page's day/month/year
    boxes, or today. A bad date leaves today's figures shown beside the error."""
    values = request.args.getlist("as_of")
    current = clock.today()
    if len(values) == 1:
        try:
            day = date.fromisoformat(values[0])
        except ValueError:
            day = None
        form = AsOfForm(formdata=None, data={"as_of": day or current})
        if day is None or not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            form.as_of.errors = [bad_date_message("Coverage on", [values[0]])]
            return current, form
        return day, form
    if values:
        form = AsOfForm(request.args)
        if form.validate() and form.as_of.data:
            return form.as_of.data, form
        if not form.errors:
            form.as_of.errors = ["Enter the date to show coverage on"]
        return current, form
    return current, AsOfForm(formdata=None, data={"as_of": current})
