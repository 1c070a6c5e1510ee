"""Pages for facilitated sessions, their attendees and evaluations (on the training blueprint)."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import clock
from core.auth import forbid_unless
from core.extensions import db
from core.pagination import page_number, paginate
from core.permissions import Permission, requires, year_limit
from training import errors, pages, people, services, sessions
from training.access import can_see_people
from training.forms import AttendeeForm, EvaluationForm, SessionForm
from training.models import TrainingSession


@requires(Permission.VIEW_TRAINING)
def list_sessions():
    page = paginate(
        sessions.session_rows(), page=page_number(), per_page=current_app.config["PAGE_SIZE"], scalars=False
    )
    return render_template("training/sessions.html", page=page, can_see_people=can_see_people(current_user))


@requires(Permission.VIEW_TRAINING)
def show_session(session_id: int):
    pages.require_people_access()
    session = pages.get_or_404(TrainingSession, session_id)
    limit = year_limit(current_user)  # an auditor limited to one year: that year's sessions' attendees
    forbid_unless(limit is None or limit[0] <= session.held_on <= limit[1])
    attendees = sessions.attendees(session)
    return render_template(
        "training/session.html",
        session=session,
        attendees=attendees,
        evaluations=sessions.evaluations_of(session),
        averages=sessions.session_averages(session.id),
        full=session.capacity is not None and len(attendees) >= session.capacity,
    )


def _save_session(session: TrainingSession | None):
    form = SessionForm(
        obj=session,
        courses=services.list_courses(active_only=session is None),
        facilitators=[
            f for f in sessions.list_facilitators() if f.active or (session and f.id == session.facilitator_id)
        ],
    )
    if request.method == "GET" and session is not None:
        form.course_id.data = str(session.course_id)
        form.facilitator_id.data = str(session.facilitator_id or "")
        form.capacity.data = str(session.capacity or "")
    if form.validate_on_submit():
        try:
            saved = sessions.save_session(
                session,
                course_id=int(form.course_id.data),
                held_on=form.held_on.data,
                place=form.place.data,
                facilitator_id=int(form.facilitator_id.data) if form.facilitator_id.data else None,
                capacity=form.places,
                notes=form.notes.data or "",
            )
        except errors.TrainingError as problem:
            db.session.rollback()
            getattr(form, problem.field or "capacity").errors.append(str(problem))
        else:
            flash("Session saved.", "success")
            return redirect(url_for("training.show_session", session_id=saved.id))
    return render_template("training/session_form.html", form=form, session=session)


@requires(Permission.MANAGE_TRAINING)
def create_session():
    return _save_session(None)


@requires(Permission.MANAGE_TRAINING)
def edit_session(session_id: int):
    return _save_session(pages.get_or_404(TrainingSession, session_id))


@requires(Permission.MANAGE_TRAINING)
def add_attendee(session_id: int):
    session = pages.get_or_404(TrainingSession, session_id)
    form = AttendeeForm(organisations=pages.organisations())
    if form.validate_on_submit():
        details = people.PersonDetails(
            name=form.name.data,
            organisation_id=int(form.organisation_id.data),
            email=form.email.data,
            staff_number=form.staff_number.data,
            role=form.role.data or "",
            team=form.team.data or "",
        )
        try:
            completion, _ = sessions.add_attendee(session, details=details, today=clock.today())
        except errors.PersonConflict as conflict:
            db.session.rollback()
            fields = {"identifiers": ["email", "staff_number"], "organisation": ["organisation_id"]}
            for item in conflict.conflicts:
                for name in fields.get(item.field, [item.field]):
                    getattr(form, name).errors.append(item.message)
        except errors.AlreadyRecorded:
            db.session.rollback()
            form.name.errors.append("This person is already recorded as attending")
        except errors.TrainingError as problem:
            db.session.rollback()
            form.name.errors.append(str(problem))
        else:
            flash(f"{completion.person.name} added to the session.", "success")
            return redirect(url_for("training.show_session", session_id=session.id))
    return render_template("training/attendee_form.html", form=form, session=session)


@requires(Permission.MANAGE_TRAINING)
def create_evaluation(session_id: int):
    session = pages.get_or_404(TrainingSession, session_id)
    attendees = [c.person for c in sessions.attendees(session)]
    form = EvaluationForm(attendees=attendees)
    if form.validate_on_submit():
        try:
            sessions.record_evaluation(
                session,
                person_id=int(form.person_id.data) if form.person_id.data else None,
                understanding_before=int(form.understanding_before.data),
                understanding_after=int(form.understanding_after.data),
                confidence_before=int(form.confidence_before.data),
                confidence_after=int(form.confidence_after.data),
                comment=form.comment.data or "",
            )
        except errors.TrainingError as problem:
            db.session.rollback()
            form.person_id.errors.append(str(problem))
        else:
            flash("Evaluation saved.", "success")
            return redirect(url_for("training.show_session", session_id=session.id))
    return render_template("training/evaluation_form.html", form=form, session=session)


@requires(Permission.VIEW_TRAINING)
def list_evaluations():
    rows = db.session.execute(sessions.session_rows(evaluated_only=True)).all()
    return render_template("training/evaluations.html", quarters=sessions.averages_by_quarter(), sessions=rows)


#: (rule, view, methods), registered on the training blueprint by training.views.
ROUTES = [
    ("/sessions", list_sessions, ["GET"]),
    ("/sessions/new", create_session, ["GET", "POST"]),
    ("/sessions/<int:session_id>", show_session, ["GET"]),
    ("/sessions/<int:session_id>/edit", edit_session, ["GET", "POST"]),
    ("/sessions/<int:session_id>/attendees/new", add_attendee, ["GET", "POST"]),
    ("/sessions/<int:session_id>/evaluations/new", create_evaluation, ["GET", "POST"]),
    ("/evaluations", list_evaluations, ["GET"]),
]
