"""Pages for delivery plans: overview, the plan table, rows, progress and evidence."""

import io
from datetime import UTC, date, datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core import clock, limits
from core.auth import forbid_unless
from core.extensions import db
from core.pagination import page_number, paginate
from core.permissions import Permission, can_delete_plan, can_edit_plan, has_permission, requires
from core.security import allow_inline_styles
from core.vocab import Rag
from partnership.models import BusinessArea
from plans import rules, services
from plans.cells import join_items, join_marked, split_items
from plans.charts import rag_by_area_figure
from plans.forms import (
    EvidenceForm,
    PlanForm,
    ProgressForm,
    RowForm,
    columns_form_class,
    parse_lead_key,
    row_form_class,
)
from plans.models import EXTRA_PREFIX, EvidenceFile, Plan, PlanRow, PlanStatus, ProgressUpdate
from plans.templates import FIELDS, TEMPLATES, default_columns

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _get_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _get_row(plan: Plan, row_id: int) -> PlanRow:
    row = db.session.get(PlanRow, row_id)
    if row is None or row.plan_id != plan.id:
        abort(404)
    return row


def _require_edit(plan: Plan) -> None:
    forbid_unless(can_edit_plan(current_user, plan.area_id))


@bp.route("")
@requires(Permission.VIEW_PLANS)
def overview():
    status = request.args.get("status", "current")
    statuses = {
        "current": [PlanStatus.ACTIVE.value, PlanStatus.DRAFT.value],
        "archived": [PlanStatus.ARCHIVED.value],
        "all": None,
    }.get(status, [PlanStatus.ACTIVE.value, PlanStatus.DRAFT.value])
    # One page of plans; the totals by area are counted in SQL over every plan.
    page = paginate(
        services.plans_query(statuses=statuses), page=page_number(), per_page=current_app.config["PAGE_SIZE"]
    )
    summaries = services.summarise(page.items, today=clock.today())
    totals = services.rag_totals_by_area(statuses=statuses)
    if totals:
        allow_inline_styles()
    return render_template(
        "plans/overview.html",
        summaries=summaries,
        page=page,
        totals=totals,
        figure=rag_by_area_figure(totals) if totals else None,
        status=status,
        stale_since=rules.stale_since(clock.today()),
        rags=[*Rag],
        areas_without_plan=services.areas_without_a_plan(),
    )


def _area_choices() -> list[tuple[str, str]]:
    areas = db.session.scalars(select(BusinessArea).order_by(BusinessArea.name)).all()
    pairs = [(str(a.id), a.name) for a in areas if can_edit_plan(current_user, a.id)]
    if has_permission(current_user, Permission.MANAGE_PLANS):
        pairs.insert(0, ("county", "County delivery plan (no business area)"))
    return pairs


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def create_plan():
    area_choices = _area_choices()
    forbid_unless(bool(area_choices))
    form = PlanForm(area_choices=area_choices)
    if request.method == "GET" and request.args.get("area"):
        form.area_id.data = request.args["area"]
    if form.validate_on_submit():
        area_id = None if form.area_id.data == "county" else int(form.area_id.data)
        forbid_unless(can_edit_plan(current_user, area_id))
        plan = services.create_plan(
            area_id=area_id,
            title=form.title.data,
            period=form.period.data or "",
            status=form.status.data,
            template=form.template.data,
            introduction=form.introduction.data or "",
            principles=split_items(form.principles.data),
            lead_key=parse_lead_key(form.lead_key.data),
        )
        flash("Plan created. Add its rows, or import them from a spreadsheet.", "success")
        return redirect(url_for("plans.show_plan", plan_id=plan.id))
    return render_template("plans/plan_form.html", form=form, plan=None, templates=TEMPLATES)


@bp.route("/<int:plan_id>")
@requires(Permission.VIEW_PLANS)
def show_plan(plan_id: int):
    plan = _get_plan(plan_id)
    today = clock.today()
    since = services.since_last_board(today)
    sections = services.plan_view(plan, today=today, since=since)
    only_changed = request.args.get("changed") == "1"
    if only_changed:
        for section in sections:
            section.rows = [r for r in section.rows if r.changed_since]
        sections = [s for s in sections if s.rows]
    columns, hidden = services.visible_columns(plan, sections)
    rows = [r for s in sections for r in s.rows]
    return render_template(
        "plans/plan.html",
        plan=plan,
        sections=sections,
        columns=columns,
        hidden=hidden,
        since=since,
        stale_since=rules.stale_since(today),
        only_changed=only_changed,
        can_edit=can_edit_plan(current_user, plan.area_id),
        archived=services.archived_rows(plan),
        # Offered only while nothing beyond the import has been recorded (the page says why later).
        can_delete=has_permission(current_user, Permission.MANAGE_PLANS)
        and can_delete_plan(current_user, recorded_since_import=services.recorded_since_import(plan)),
        counts={
            "rows": len(rows),
            "overdue": sum(r.overdue for r in rows),
            "stale": sum(r.stale for r in rows),
            "disagree": sum(r.disagrees for r in rows),
            "changed": sum(r.changed_since for r in rows),
        },
        today=today,
    )


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def edit_plan(plan_id: int):
    plan = _get_plan(plan_id)
    _require_edit(plan)
    area_label = plan.area.name if plan.area else "County delivery plan (no business area)"
    form = PlanForm(obj=plan, area_choices=[(str(plan.area_id or "county"), area_label)])
    del form.template
    if request.method == "GET":
        form.area_id.data = str(plan.area_id or "county")
        form.principles.data = join_items(plan.principles)
        form.lead_key.data = "\n".join(f"{k} - {v}" for k, v in plan.lead_key.items())
    if form.validate_on_submit():
        services.update_plan(
            plan,
            title=form.title.data,
            period=form.period.data or "",
            status=form.status.data,
            introduction=form.introduction.data or "",
            principles=split_items(form.principles.data),
            lead_key=parse_lead_key(form.lead_key.data),
            columns=plan.columns,
        )
        flash("Plan details saved.", "success")
        return redirect(url_for("plans.show_plan", plan_id=plan.id))
    return render_template("plans/plan_form.html", form=form, plan=plan, templates=TEMPLATES)


@bp.route("/<int:plan_id>/columns", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def edit_columns(plan_id: int):
    plan = _get_plan(plan_id)
    _require_edit(plan)
    form = columns_form_class(plan.columns)()
    if form.validate_on_submit():
        order = {f: i for i, (f, _) in enumerate(plan.columns)}
        chosen = [
            [name, getattr(form, f"col_{name}").data.strip()]
            for name in FIELDS
            if getattr(form, f"col_{name}").data.strip()
        ]
        if not chosen:
            form.col_duty.errors.append("Give at least one column a heading")
        else:
            # The plan's own extra columns (kept from its spreadsheet) stay where they are.
            chosen += [list(c) for c in plan.columns if c[0].startswith(EXTRA_PREFIX)]
            chosen.sort(key=lambda c: order.get(c[0], len(order) + list(FIELDS).index(c[0])))
            services.update_plan(
                plan,
                title=plan.title,
                period=plan.period,
                status=plan.status,
                introduction=plan.introduction,
                principles=plan.principles,
                lead_key=plan.lead_key,
                columns=chosen,
            )
            flash("Columns saved.", "success")
            return redirect(url_for("plans.show_plan", plan_id=plan.id))
    return render_template(
        "plans/columns.html", form=form, plan=plan, fields=FIELDS, defaults=default_columns(plan.template)
    )


def _row_form(plan: Plan, row: PlanRow | None = None) -> tuple[RowForm, list[str]]:
    form = row_form_class(plan.columns)(obj=row)
    shown = form.apply_headings(plan.columns)
    if row is not None and request.method == "GET":
        for name, (_, kind) in FIELDS.items():
            field = getattr(form, name, None)
            if field is not None and kind == "list":
                field.data = join_marked(getattr(row, name), (row.markers or {}).get(name))
        form.section_title.data = row.section.title if row.section else ""
        form.version.data = str(row.version)
        form.fill_extras(row)
    return form, shown


@bp.route("/<int:plan_id>/rows/new", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def create_row(plan_id: int):
    plan = _get_plan(plan_id)
    _require_edit(plan)
    form, shown = _row_form(plan)
    full = services.live_row_count(plan) >= limits.PLAN_ROWS
    if form.validate_on_submit() and full:
        form.duty.errors.append(
            f"This plan has {limits.PLAN_ROWS:,} rows, the most a plan may have. Archive rows it no longer needs "
            "(update it from a spreadsheet without them), or start a new plan"
        )
    elif form.is_submitted() and not form.errors:
        row = services.add_row(
            plan,
            section_title=form.section_title.data or "",
            values=form.values() | form.extra_values(),
            markers=form.markers(),
        )
        flash("Row added. Record its first progress update when there is one.", "success")
        return redirect(url_for("plans.show_plan", plan_id=plan.id, _anchor=f"row-{row.id}"))
    return render_template("plans/row_form.html", form=form, plan=plan, row=None, shown=shown, conflict=None)


@bp.route("/<int:plan_id>/rows/<int:row_id>")
@requires(Permission.VIEW_PLANS)
def show_row(plan_id: int, row_id: int):
    plan = _get_plan(plan_id)
    row = _get_row(plan, row_id)
    form = None
    if can_edit_plan(current_user, plan.area_id):
        form = _progress_form(row)
    return _row_page(plan, row, form=form)


def _progress_form(row: PlanRow) -> ProgressForm:
    form = ProgressForm(current_rag=row.rag)
    if request.method == "GET":
        form.rag.data = row.rag
        form.version.data = str(row.version)
    return form


def _row_page(plan: Plan, row: PlanRow, *, form: ProgressForm | None, conflict: PlanRow | None = None, status=200):
    """The row's page: its update form (for its editors) above its details, progress history
    and evidence files, so a row is updated, rated and evidenced in one place."""
    as_of = _as_of(request.args.get("as_of", ""))
    today = clock.today()
    # Newest first by the date each update is for: an import can bring in older updates after
    # newer ones were written on the page, so the order they were saved in is not the order.
    updates = db.session.scalars(
        select(ProgressUpdate)
        .where(ProgressUpdate.row_id == row.id)
        .order_by(ProgressUpdate.at.desc(), ProgressUpdate.id.desc())
    ).all()
    documents = services.evidence_documents(row.id, as_of=as_of)
    has_evidence = bool(row.evidence) or any(documents)
    page = render_template(
        "plans/row.html",
        plan=plan,
        row=row,
        form=form,
        conflict=conflict,
        updates=updates,
        documents=documents,
        as_of=as_of,
        since=services.since_last_board(today),
        can_edit=can_edit_plan(current_user, plan.area_id),
        headings=dict(plan.columns),
        fields=FIELDS,
        extra_columns=[(name, heading) for name, heading in plan.columns if name.startswith(EXTRA_PREFIX)],
        flags={
            "overdue": rules.is_overdue(row, today),
            "stale": rules.is_stale(row, today),
            "suggested": services.suggested_rag(row, today, has_evidence=has_evidence),
        },
        stale_since=rules.stale_since(today),
    )
    return page, status


def _as_of(raw: str) -> datetime | None:
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return datetime.combine(day, time.max, UTC) if day else None


@bp.route("/<int:plan_id>/rows/<int:row_id>/edit", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def edit_row(plan_id: int, row_id: int):
    plan = _get_plan(plan_id)
    _require_edit(plan)
    row = _get_row(plan, row_id)
    form, shown = _row_form(plan, row)
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_row(
                row,
                expected_version=_version(form.version.data),
                section_title=form.section_title.data or "",
                values=form.values() | form.extra_values(),
                markers=form.markers(),
            )
        except (services.EditConflict, StaleDataError):
            # Forget this edit and show the row as it now stands; the 409 writes nothing.
            db.session.rollback()
            conflict = db.session.get(PlanRow, row_id)
            form.version.data = str(conflict.version)
        else:
            flash("Row saved.", "success")
            return redirect(url_for("plans.show_plan", plan_id=plan.id, _anchor=f"row-{row.id}"))
    status = 409 if conflict else 200
    return (
        render_template("plans/row_form.html", form=form, plan=plan, row=row, shown=shown, conflict=conflict),
        status,
    )


def _version(raw: object) -> int:
    """The row version the form was based on; -1 (a conflict, never a silent overwrite) if it is
    missing or not a number. A form bound to the row falls back to the row's own (int) version
    when the POST lacks the field, so only text from the request counts."""
    return int(raw) if isinstance(raw, str) and raw.isdigit() else -1


@bp.route("/<int:plan_id>/rows/<int:row_id>/progress", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def record_progress(plan_id: int, row_id: int):
    """Progress, RAG and reason, and an evidence file if one is given, saved together (or not
    at all) from the row's page."""
    from core.storage import StorageError
    from core.uploads import UploadRejected, check_upload

    plan = _get_plan(plan_id)
    _require_edit(plan)
    row = _get_row(plan, row_id)
    form = _progress_form(row)
    conflict = None
    if form.validate_on_submit():
        upload, checked, data = form.evidence_file.data, None, b""
        if upload is not None and getattr(upload, "filename", ""):
            limit = current_app.config["MAX_UPLOAD_BYTES"]
            data = upload.read(limit + 1)
            try:
                checked = check_upload(upload.filename, data, max_bytes=limit)
            except UploadRejected as rejected:
                form.evidence_file.errors.append(str(rejected))
        if not form.evidence_file.errors:
            try:
                services.record_update(
                    row,
                    items=split_items(form.items.data),
                    rag=form.rag.data,
                    reason=form.reason.data or "",
                    actor=current_user,
                    expected_version=_version(form.version.data),
                    evidence=checked,
                    evidence_data=data,
                    evidence_note=form.evidence_note.data or "",
                )
            except (services.EditConflict, StaleDataError):
                # Forget this update and show the row as it now stands; the 409 writes nothing.
                db.session.rollback()
                conflict = db.session.get(PlanRow, row_id)
                form.version.data = str(conflict.version)
                row = conflict
            except StorageError as failure:
                db.session.rollback()
                current_app.logger.error("evidence storage failed: %s", failure)
                form.evidence_file.errors.append("The file could not be saved. Try again later; nothing was recorded")
                row = db.session.get(PlanRow, row_id)
            else:
                flash("Progress update saved." + (" Evidence file added." if checked else ""), "success")
                return redirect(url_for("plans.show_plan", plan_id=plan.id, _anchor=f"row-{row.id}"))
    return _row_page(plan, row, form=form, conflict=conflict, status=409 if conflict else 200)


@bp.route("/<int:plan_id>/rows/<int:row_id>/evidence", methods=["GET", "POST"])
@bp.route("/<int:plan_id>/rows/<int:row_id>/evidence/<int:document_id>/replace", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def upload_evidence(plan_id: int, row_id: int, document_id: int | None = None):
    from core.storage import StorageError
    from core.uploads import UploadRejected, check_upload

    plan = _get_plan(plan_id)
    _require_edit(plan)
    row = _get_row(plan, row_id)
    replaces = None
    if document_id is not None:
        replaces = db.session.scalar(
            select(EvidenceFile)
            .where(EvidenceFile.document_id == document_id, EvidenceFile.row_id == row.id)
            .order_by(EvidenceFile.revision.desc())
            .limit(1)
        )
        if replaces is None:
            abort(404)
    form = EvidenceForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
        try:
            checked = check_upload(upload.filename, data, max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
            services.add_evidence_file(
                row, checked=checked, data=data, note=form.note.data or "", actor=current_user, replaces=replaces
            )
        except UploadRejected as rejected:
            db.session.rollback()
            form.file.errors.append(str(rejected))
        except StorageError as failure:
            db.session.rollback()
            current_app.logger.error("evidence storage failed: %s", failure)
            form.file.errors.append("The file could not be saved. Try again later; nothing was recorded")
        else:
            flash("Evidence uploaded.", "success")
            return redirect(url_for("plans.show_row", plan_id=plan.id, row_id=row.id))
    return render_template("plans/evidence_form.html", form=form, plan=plan, row=row, replaces=replaces)


@bp.route("/<int:plan_id>/evidence/<int:file_id>")
@requires(Permission.VIEW_PLANS)
def download_evidence(plan_id: int, file_id: int):
    from core.storage import StorageError, get_storage

    plan = _get_plan(plan_id)
    evidence = db.session.get(EvidenceFile, file_id)
    if evidence is None:
        abort(404)
    row = db.session.get(PlanRow, evidence.row_id)
    if row is None or row.plan_id != plan.id:
        abort(404)
    try:
        data = get_storage().get(evidence.storage_key)
    except StorageError:
        abort(404)
    return send_file(
        io.BytesIO(data), mimetype=evidence.content_type, as_attachment=True, download_name=evidence.filename
    )
