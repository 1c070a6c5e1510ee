"""Pages for training coverage: coverage, headcounts, people and records, courses, facilitators
and settings. Sessions (training.session_views) and imports and downloads
(training.transfer_views) are registered on the same blueprint, just after it is made."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import clock
from core.auth import forbid_unless
from core.extensions import db
from core.forms import ConfirmForm
from core.pagination import page_number, paginate, paginate_list
from core.permissions import Permission, requires, year_limit
from core.security import allow_inline_styles
from partnership.models import Organisation
from partnership.services import current_partnership
from training import coverage, errors, pages, people, services, session_views, sessions, transfer_views
from training.access import can_see_people
from training.charts import trend_figure
from training.forms import CompletionForm, CourseForm, FacilitatorForm, HeadcountForm, PersonForm, SettingsForm
from training.models import Completion, Course, Delivery, Facilitator, Headcount, Person

bp = Blueprint("training", __name__, url_prefix="/training")


@bp.context_processor
def _training_context() -> dict:
    return {"can_see_people": can_see_people(current_user)}


# Sessions and evaluations; imports, downloads and the import log: same blueprint, own modules.
for _module in (session_views, transfer_views):
    for _rule, _view, _methods in _module.ROUTES:
        bp.add_url_rule(_rule, view_func=_view, methods=_methods)


# --- coverage ----------------------------------------------------------------------------


@bp.route("")
@requires(Permission.VIEW_TRAINING)
def show_coverage():
    as_of, form = pages.as_of_from_request()
    summary, trend = coverage.coverage_with_trend(as_of=as_of)
    figure = None
    if any(point.percent is not None for point in trend):
        allow_inline_styles()
        figure = trend_figure(trend, target=summary.settings.target_percent, amber_from=summary.settings.amber_from)
    due = None
    # Named refreshers due are today's people: not for an auditor limited to one year.
    if can_see_people(current_user) and year_limit(current_user) is None:
        due = paginate(
            coverage.refreshers_due(as_of=as_of),
            page=page_number(),
            per_page=current_app.config["PAGE_SIZE"],
            scalars=False,
            total=sum(row.due_soon for row in summary.rows),
        )
    organisations = paginate_list(
        summary.rows,
        page=page_number("organisations_page"),
        per_page=current_app.config["PAGE_SIZE"],
        param="organisations_page",
    )
    return render_template(
        "training/coverage.html",
        form=form,
        as_of=as_of,
        summary=summary,
        organisations=organisations,
        trend=trend,
        figure=figure,
        due=due,
        counting=[c for c in services.list_courses() if c.counts_for_coverage],
        due_within=coverage.DUE_WITHIN_DAYS,
        due_until=as_of + timedelta(days=coverage.DUE_WITHIN_DAYS),
        today=clock.today(),
    )


@bp.route("/organisations/<int:organisation_id>")
@requires(Permission.VIEW_TRAINING)
def show_organisation(organisation_id: int):
    organisation = pages.get_or_404(Organisation, organisation_id)
    as_of, form = pages.as_of_from_request()
    row = coverage.organisation_coverage(organisation, as_of=as_of)
    trend = coverage.coverage_trend(as_of=as_of, organisation_id=organisation.id)
    settings = services.coverage_settings()
    figure = None
    if any(point.percent is not None for point in trend):
        allow_inline_styles()
        figure = trend_figure(trend, target=settings.target_percent, amber_from=settings.amber_from)
    due = None
    if can_see_people(current_user) and year_limit(current_user) is None:
        due = db.session.execute(coverage.refreshers_due(as_of=as_of, organisation_id=organisation.id)).all()
    return render_template(
        "training/organisation.html",
        form=form,
        organisation=organisation,
        as_of=as_of,
        row=row,
        teams=coverage.team_coverage(organisation.id, as_of=as_of),
        trend=trend,
        figure=figure,
        headcounts=services.headcounts_of(organisation.id),
        due=due,
        due_within=coverage.DUE_WITHIN_DAYS,
    )


# --- headcounts --------------------------------------------------------------------------


@bp.route("/headcounts")
@requires(Permission.VIEW_TRAINING)
def list_headcounts():
    today = clock.today()
    latest = coverage.latest_headcounts([today])
    organisations = pages.organisations()
    return render_template(
        "training/headcounts.html",
        rows=[(o, latest.get((today, o.id))) for o in organisations],
        today=today,
    )


@bp.route("/organisations/<int:organisation_id>/headcounts/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def create_headcount(organisation_id: int):
    organisation = pages.get_or_404(Organisation, organisation_id)
    form = HeadcountForm(today=clock.today())
    if form.validate_on_submit():
        if services.headcount_taken(organisation.id, form.team.data or "", form.as_of.data):
            form.as_of.errors.append("A headcount for this date is already recorded; change that one instead")
        else:
            services.record_headcount(
                organisation_id=organisation.id,
                as_of=form.as_of.data,
                relevant_headcount=form.count,
                source=form.source.data,
                team=form.team.data or "",
            )
            flash(f"Headcount for {organisation.name} saved.", "success")
            return redirect(url_for("training.show_organisation", organisation_id=organisation.id))
    return render_template("training/headcount_form.html", form=form, organisation=organisation, headcount=None)


@bp.route("/headcounts/<int:headcount_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def edit_headcount(headcount_id: int):
    headcount = pages.get_or_404(Headcount, headcount_id)
    form = HeadcountForm(obj=headcount, today=clock.today())
    if request.method == "GET":
        form.relevant_headcount.data = str(headcount.relevant_headcount)
    if form.validate_on_submit():
        if services.headcount_taken(
            headcount.organisation_id, form.team.data or "", form.as_of.data, except_id=headcount.id
        ):
            form.as_of.errors.append("A headcount for this date is already recorded; change that one instead")
        else:
            services.update_headcount(
                headcount,
                as_of=form.as_of.data,
                relevant_headcount=form.count,
                source=form.source.data,
                team=form.team.data or "",
            )
            flash("Headcount saved.", "success")
            return redirect(url_for("training.show_organisation", organisation_id=headcount.organisation_id))
    return render_template(
        "training/headcount_form.html", form=form, organisation=headcount.organisation, headcount=headcount
    )


@bp.route("/headcounts/<int:headcount_id>/delete", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def delete_headcount(headcount_id: int):
    headcount = pages.get_or_404(Headcount, headcount_id)
    organisation = headcount.organisation
    form = ConfirmForm()
    if form.validate_on_submit():
        services.delete_headcount(headcount)
        flash("Headcount deleted. The audit trail keeps a record of it.", "success")
        return redirect(url_for("training.show_organisation", organisation_id=organisation.id))
    return render_template(
        "training/confirm_delete.html",
        form=form,
        title=f"Delete the headcount of {headcount.relevant_headcount} as at {headcount.as_of:%-d %B %Y}?",
        caption=organisation.name,
        warning="Coverage on dates this headcount covered will use the headcount before it, or show no headcount.",
        button="Delete headcount",
        back=url_for("training.show_organisation", organisation_id=organisation.id),
        crumbs_items=[
            {"text": organisation.name, "href": url_for("training.show_organisation", organisation_id=organisation.id)}
        ],
    )


# --- people and records ------------------------------------------------------------------


@bp.route("/people")
@requires(Permission.VIEW_TRAINING)
def list_people():
    pages.require_people_access()
    q = request.args.get("q", "")[:200]
    organisation_id = pages.int_arg("organisation")
    sort = request.args.get("sort", "name")
    today = clock.today()
    page = paginate(
        people.people_query(
            q=q, organisation_id=organisation_id, sort=sort, as_of=today, trained_between=year_limit(current_user)
        ),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        scalars=False,
    )
    return render_template(
        "training/people.html",
        page=page,
        q=q,
        organisation_id=organisation_id,
        sort=sort,
        organisations=pages.organisations(active_only=False),
        today=today,
    )


@bp.route("/people/<int:person_id>")
@requires(Permission.VIEW_TRAINING)
def show_person(person_id: int):
    pages.require_people_access()
    person = pages.get_or_404(Person, person_id)
    records = services.completions_of(person)
    limit = year_limit(current_user)
    if limit is not None:  # an auditor limited to one year: people trained in it, their records in it
        records = [r for r in records if limit[0] <= r.completed_on <= limit[1]]
        forbid_unless(bool(records))
    return render_template("training/person.html", person=person, records=records, today=clock.today())


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def edit_person(person_id: int):
    person = pages.get_or_404(Person, person_id)
    form = PersonForm(obj=person, organisations=pages.organisations(active_only=False), today=clock.today())
    if request.method == "GET":
        form.organisation_id.data = str(person.organisation_id)
    if form.validate_on_submit():
        try:
            people.update_person(
                person,
                name=form.name.data,
                email=form.email.data,
                staff_number=form.staff_number.data,
                organisation_id=int(form.organisation_id.data),
                role=form.role.data or "",
                team=form.team.data or "",
                left_on=form.left_on.data,
            )
        except errors.TrainingError as problem:
            db.session.rollback()
            getattr(form, problem.field or "staff_number").errors.append(str(problem))
        else:
            flash("Person saved.", "success")
            return redirect(url_for("training.show_person", person_id=person.id))
    return render_template("training/person_form.html", form=form, person=person)


@bp.route("/records")
@requires(Permission.VIEW_TRAINING)
def list_records():
    pages.require_people_access()
    q = request.args.get("q", "")[:200]
    course_id, organisation_id = pages.int_arg("course"), pages.int_arg("organisation")
    sort = request.args.get("sort", "newest")
    limit = year_limit(current_user) or (None, None)
    page = paginate(
        services.completions_query(
            q=q, course_id=course_id, organisation_id=organisation_id, sort=sort, date_from=limit[0], date_to=limit[1]
        ),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "training/records.html",
        page=page,
        q=q,
        course_id=course_id,
        organisation_id=organisation_id,
        sort=sort,
        courses=services.list_courses(),
        organisations=pages.organisations(active_only=False),
        today=clock.today(),
    )


def _attach_conflicts(form, conflicts: list[errors.Conflict]) -> None:
    fields = {
        "identifiers": [form.email, form.staff_number],
        "email": [form.email],
        "staff_number": [form.staff_number],
        "organisation": [form.organisation_id],
    }
    for conflict in conflicts:
        for form_field in fields[conflict.field]:
            form_field.errors.append(conflict.message)


@bp.route("/records/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def create_record():
    today = clock.today()
    courses = services.list_courses(active_only=True)
    form = CompletionForm(
        organisations=pages.organisations(),
        courses=courses,
        facilitators=[f for f in sessions.list_facilitators() if f.active],
        today=today,
    )
    person = db.session.get(Person, pages.int_arg("person_id")) if pages.int_arg("person_id") else None
    if request.method == "GET":
        form.delivery.data = Delivery.FACILITATED.value
        if person is not None:
            for name in ("name", "email", "staff_number", "role", "team"):
                getattr(form, name).data = getattr(person, name)
            form.organisation_id.data = str(person.organisation_id)
    if form.validate_on_submit():
        course = db.session.get(Course, int(form.course_id.data))
        details = people.PersonDetails(
            name=form.name.data,
            organisation_id=int(form.organisation_id.data),
            email=form.email.data,
            staff_number=form.staff_number.data,
            role=form.role.data or "",
            team=form.team.data or "",
        )
        try:
            completion, _ = services.record_completion(
                details=details,
                course=course,
                completed_on=form.completed_on.data,
                delivery=form.delivery.data,
                facilitator_id=int(form.facilitator_id.data) if form.facilitator_id.data else None,
                today=today,
            )
        except errors.PersonConflict as conflict:
            db.session.rollback()
            _attach_conflicts(form, conflict.conflicts)
        except errors.AlreadyRecorded:
            db.session.rollback()
            form.completed_on.errors.append(f"This person's {course.name} on this date is already recorded")
        else:
            flash(_recorded_message(completion), "success")
            return redirect(url_for("training.show_person", person_id=completion.person_id))
    return render_template("training/record_form.html", form=form, person=person)


def _recorded_message(completion: Completion) -> str:
    organisation = completion.person.organisation
    row = coverage.organisation_coverage(organisation, as_of=clock.today())
    if row.percent is None:
        figure = "has no headcount, so no coverage figure"
    else:
        figure = f"is now {row.percent}% ({row.trained} of {row.headcount})"
    return f"{completion.course.name} recorded for {completion.person.name}. Coverage at {organisation.name} {figure}."


@bp.route("/records/<int:completion_id>/delete", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def delete_record(completion_id: int):
    completion = pages.get_or_404(Completion, completion_id)
    person = completion.person
    form = ConfirmForm()
    if form.validate_on_submit():
        services.delete_completion(completion)
        flash("Training record deleted. The audit trail keeps a record of it.", "success")
        return redirect(url_for("training.show_person", person_id=person.id))
    return render_template(
        "training/confirm_delete.html",
        form=form,
        title=f"Delete {person.name}'s {completion.course.name} of {completion.completed_on:%-d %B %Y}?",
        caption=person.name,
        warning="Only delete a record entered in error. If it came from an import, importing that file again "
        "would bring it back.",
        button="Delete record",
        back=url_for("training.show_person", person_id=person.id),
        crumbs_items=[
            {"text": "People", "href": url_for("training.list_people")},
            {"text": person.name, "href": url_for("training.show_person", person_id=person.id)},
        ],
    )


# --- courses, facilitators, settings -----------------------------------------------------


@bp.route("/courses")
@requires(Permission.VIEW_TRAINING)
def list_courses():
    return render_template("training/courses.html", courses=services.list_courses())


def _save_course(course: Course | None):
    form = CourseForm(obj=course)
    if request.method == "GET" and course is not None:
        form.validity_months.data = str(course.validity_months)
        form.counts_for_coverage.data = "yes" if course.counts_for_coverage else "no"
    if form.validate_on_submit():
        if services.course_name_taken(form.name.data, except_id=course.id if course else None):
            form.name.errors.append("A course with this name already exists")
        else:
            counts = form.counts_for_coverage.data == "yes"
            if course is None:
                course = services.create_course(
                    name=form.name.data, kind=form.kind.data, validity_months=form.months, counts_for_coverage=counts
                )
                message = f"{course.name} added."
            else:
                changed = services.update_course(
                    course,
                    name=form.name.data,
                    kind=form.kind.data,
                    validity_months=form.months,
                    counts_for_coverage=counts,
                    active=form.active.data,
                )
                message = f"{course.name} saved."
                if changed:
                    message += f" The expiry dates of {changed} records were recalculated."
            flash(message, "success")
            return redirect(url_for("training.list_courses"))
    return render_template("training/course_form.html", form=form, course=course)


@bp.route("/courses/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def create_course():
    return _save_course(None)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def edit_course(course_id: int):
    return _save_course(pages.get_or_404(Course, course_id))


@bp.route("/facilitators")
@requires(Permission.VIEW_TRAINING)
def list_facilitators():
    return render_template("training/facilitators.html", facilitators=sessions.list_facilitators())


def _save_facilitator(facilitator: Facilitator | None):
    form = FacilitatorForm(obj=facilitator, organisations=pages.organisations(active_only=False), today=clock.today())
    if request.method == "GET" and facilitator is not None:
        form.organisation_id.data = str(facilitator.organisation_id or "")
    if form.validate_on_submit():
        if sessions.facilitator_name_taken(form.name.data, except_id=facilitator.id if facilitator else None):
            form.name.errors.append("A facilitator with this name is already listed")
        else:
            saved = sessions.save_facilitator(
                facilitator,
                name=form.name.data,
                organisation_id=int(form.organisation_id.data) if form.organisation_id.data else None,
                email=form.email.data or "",
                accredited_on=form.accredited_on.data,
                active=form.active.data if facilitator is not None else True,
            )
            flash(f"{saved.name} saved.", "success")
            return redirect(url_for("training.list_facilitators"))
    return render_template("training/facilitator_form.html", form=form, facilitator=facilitator)


@bp.route("/facilitators/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def create_facilitator():
    return _save_facilitator(None)


@bp.route("/facilitators/<int:facilitator_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_TRAINING)
def edit_facilitator(facilitator_id: int):
    return _save_facilitator(pages.get_or_404(Facilitator, facilitator_id))


@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.MANAGE_PARTNERSHIP)
def edit_settings():
    partnership = current_partnership()
    if partnership is None:
        abort(404)
    form = SettingsForm()
    if request.method == "GET":
        form.target_percent.data = str(partnership.training_target_percent)
        form.amber_band_points.data = str(partnership.training_amber_band_points)
        form.leaver_retention_months.data = str(partnership.leaver_retention_months)
    if form.validate_on_submit():
        services.update_settings(
            partnership,
            target_percent=form.target,
            amber_band_points=form.band,
            leaver_retention_months=form.leaver_months,
        )
        flash("Training settings saved.", "success")
        return redirect(url_for("training.show_coverage"))
    return render_template("training/settings.html", form=form, partnership=partnership)
