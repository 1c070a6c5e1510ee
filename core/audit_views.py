"""Browsing, filtering and exporting the audit trail and the security event log.

What a reader sees is limited in one place (core.audit): values of records they may not read are
withheld, and an auditor limited to one year sees that year's entries and events only."""

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from core.audit import (
    audit_query,
    audit_rows,
    audited_tables,
    limit_to_reader_year,
    readable_entries,
    reader_date_range,
    withheld_tables,
)
from core.extensions import db
from core.forms import AuditFilterForm, choices
from core.models import SecurityEvent
from core.pagination import page_number, paginate
from core.permissions import Permission, requires
from core.spreadsheets import csv_lines

bp = Blueprint("audit", __name__, url_prefix="/audit")

#: Matches counted at most on the audit trail page; past that it says "more than".
AUDIT_COUNT_LIMIT = 10_000


def _filters() -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(request.args)
    form.entity.choices = choices([("", "Any")] + [(t, t.replace("_", " ")) for t in audited_tables()])
    filters: dict = {}
    if request.args and not form.validate():
        return form, {"invalid": True}
    if form.entity.data:
        filters["entity"] = form.entity.data
    if form.entity_id.data:
        filters["entity_id"] = int(form.entity_id.data)
    if form.actor.data:
        filters["actor"] = form.actor.data.strip()
    if form.action.data:
        filters["action"] = form.action.data
    if form.date_from.data:
        filters["date_from"] = form.date_from.data
    if form.date_to.data:
        filters["date_to"] = form.date_to.data
    date_from, date_to = reader_date_range(current_user, filters.get("date_from"), filters.get("date_to"))
    if date_from or date_to:
        filters["date_from"], filters["date_to"] = date_from, date_to
    return form, filters


@bp.route("")
@requires(Permission.VIEW_AUDIT)
def list_entries():
    form, filters = _filters()
    page = None
    if not filters.get("invalid"):
        # The trail grows for ever: count at most AUDIT_COUNT_LIMIT matches, never the whole table.
        page = paginate(
            audit_query(**filters),
            page=page_number(),
            per_page=current_app.config["PAGE_SIZE"],
            count_limit=AUDIT_COUNT_LIMIT,
        )
        page.items = list(readable_entries(page.items, withheld_tables(current_user)))
    return render_template("audit/list.html", form=form, page=page, filtered=bool(filters))


@bp.route("/export.csv")
@requires(Permission.VIEW_AUDIT)
def export_entries():
    form, filters = _filters()
    if filters.get("invalid"):
        return render_template("audit/list.html", form=form, page=None, filtered=True), 400

    withheld = withheld_tables(current_user)

    def generate():
        # Read in batches so a long trail streams without loading it all at once.
        result = db.session.execute(audit_query(**filters).execution_options(yield_per=500))
        entries = readable_entries((row[0] for row in result), withheld)
        header, rows = audit_rows(entries)
        yield from csv_lines(header, rows)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-trail.csv"},
    )


@bp.route("/security")
@requires(Permission.VIEW_AUDIT)
def security_events():
    kind = request.args.get("kind", "")
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc())
    if kind:
        query = query.where(SecurityEvent.kind == kind[:40])
    # An auditor limited to one year: that year's events (and the people in them) only.
    query = limit_to_reader_year(query, SecurityEvent.at, current_user)
    page = paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("audit/security.html", page=page, kind=kind)
