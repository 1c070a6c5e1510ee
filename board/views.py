"""Pages for the quarterly partnership board: members, meetings, agendas, minutes, actions, packs."""

import io

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, joinedload

from board import pack
from board import services as board
from board.calendar import meeting_ics, schedule_ics
from board.forms import (
    ActionForm,
    ActionUpdateForm,
    AgendaItemForm,
    BoardMemberForm,
    DecisionForm,
    MeetingForm,
    MembershipReviewForm,
    PaperForm,
    ScheduleForm,
)
from board.models import (
    AgendaItem,
    AttendanceStatus,
    BoardAction,
    BoardMeeting,
    BoardMember,
    MeetingPaper,
    MeetingStatus,
)
from core import clock
from core.auth import forbid_unless
from core.extensions import db
from core.forms import ConfirmForm
from core.pdf import PdfError
from core.permissions import Permission, has_permission, requires, year_limit
from partnership.services import list_organisations, partnership_or_404
from plans import rules
from plans.models import Plan, PlanStatus

bp = Blueprint("board", __name__, url_prefix="/board")


def _meeting(meeting_id: int) -> BoardMeeting:
    meeting = db.session.get(BoardMeeting, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _readable_meeting(meeting_id: int) -> BoardMeeting:
    """A meeting to read: its attendance names people, so an auditor limited to one year reads
    that year's meetings only (403 for the others)."""
    meeting = _meeting(meeting_id)
    limit = year_limit(current_user)
    forbid_unless(limit is None or limit[0] <= meeting.held_on <= limit[1])
    return meeting


def _item(meeting: BoardMeeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    return item


@bp.route("")
@requires(Permission.VIEW_BOARD)
def overview():
    partnership = partnership_or_404()
    today = clock.today()
    meetings = db.session.scalars(
        select(BoardMeeting).where(BoardMeeting.partnership_id == partnership.id).order_by(BoardMeeting.held_on)
    ).all()
    return render_template(
        "board/overview.html",
        upcoming=[m for m in meetings if m.held_on >= today],
        past=list(reversed([m for m in meetings if m.held_on < today])),
        next_meeting=board.next_meeting(partnership.id, today),
        review=board.membership_review_status(partnership.id, today),
        members=board.current_members(partnership.id, today),
        open_actions=db.session.scalars(
            select(BoardAction).where(BoardAction.status == "open").order_by(BoardAction.due_on)
        ).all(),
        today=today,
    )


# --- membership --------------------------------------------------------------------------


@bp.route("/members")
@requires(Permission.VIEW_BOARD)
def list_members():
    partnership = partnership_or_404()
    today = clock.today()
    query = select(BoardMember).where(BoardMember.partnership_id == partnership.id)
    limit = year_limit(current_user)
    if limit is not None:  # an auditor limited to one year: the members who served in it
        query = query.where(
            BoardMember.joined_on <= limit[1], or_(BoardMember.left_on.is_(None), BoardMember.left_on >= limit[0])
        )
    members = db.session.scalars(
        query.options(joinedload(BoardMember.organisation)).order_by(
            BoardMember.left_on.is_not(None), BoardMember.representative
        )
    ).all()
    return render_template(
        "board/members.html",
        members=members,
        review=board.membership_review_status(partnership.id, today),
        today=today,
    )


def _member_form(member: BoardMember | None = None) -> BoardMemberForm:
    form = BoardMemberForm(obj=member, organisations=list_organisations(include_inactive=False))
    if member is not None and request.method == "GET":
        form.organisation_id.data = str(member.organisation_id)
    return form


@bp.route("/members/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def create_member():
    partnership = partnership_or_404()
    form = _member_form()
    if form.validate_on_submit():
        member = BoardMember(
            partnership_id=partnership.id,
            organisation_id=int(form.organisation_id.data),
            representative=form.representative.data.strip(),
            deputy=(form.deputy.data or "").strip(),
            role=form.role.data,
            joined_on=form.joined_on.data,
            left_on=form.left_on.data,
        )
        db.session.add(member)
        flash(f"{member.representative} added to the board.", "success")
        return redirect(url_for("board.list_members"))
    return render_template("board/member_form.html", form=form, member=None)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def edit_member(member_id: int):
    member = db.session.get(BoardMember, member_id)
    if member is None:
        abort(404)
    form = _member_form(member)
    if form.validate_on_submit():
        member.organisation_id = int(form.organisation_id.data)
        member.representative = form.representative.data.strip()
        member.deputy = (form.deputy.data or "").strip()
        member.role = form.role.data
        member.joined_on = form.joined_on.data
        member.left_on = form.left_on.data
        flash("Board member saved.", "success")
        return redirect(url_for("board.list_members"))
    return render_template("board/member_form.html", form=form, member=member)


@bp.route("/members/review", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def record_review():
    partnership = partnership_or_404()
    form = MembershipReviewForm()
    if request.method == "GET":
        form.reviewed_on.data = clock.today()
    if form.validate_on_submit():
        if form.reviewed_on.data > clock.today():
            form.reviewed_on.errors.append("The date of the review must be today or in the past")
        else:
            board.record_membership_review(
                partnership_id=partnership.id, reviewed_on=form.reviewed_on.data, outcome=form.outcome.data
            )
            flash("Membership review recorded. The next is due in 12 months.", "success")
            return redirect(url_for("board.list_members"))
    return render_template("board/review_form.html", form=form)


# --- meetings ----------------------------------------------------------------------------


@bp.route("/meetings/schedule", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def schedule_meetings():
    partnership = partnership_or_404()
    form = ScheduleForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            meetings = board.schedule_meetings(
                partnership=partnership,
                first_on=form.first_on.data,
                count=int(form.count.data),
                every_months=3,
                starts_at=form.starts_at.parsed,
                ends_at=form.ends_at.parsed,
                place=form.place.data or "",
                link=form.link.data or "",
                marking=form.marking.data,
                today=clock.today(),
            )
        except board.ScheduleProblems as refused:
            db.session.rollback()
            problems = refused.problems
            form.first_on.errors.extend(problems)
        else:
            flash(
                f"{len(meetings)} meeting{'s' if len(meetings) != 1 else ''} scheduled, each with the standing agenda.",
                "success",
            )
            return redirect(url_for("board.overview"))
    return render_template("board/schedule_form.html", form=form)


@bp.route("/meetings/<int:meeting_id>")
@requires(Permission.VIEW_BOARD)
def show_meeting(meeting_id: int):
    meeting = _readable_meeting(meeting_id)
    today = clock.today()
    # The county plan (no area) and the plans of this partnership's areas: not every partnership's.
    plans = db.session.scalars(
        select(Plan)
        .outerjoin(Plan.area)
        .where(Plan.status == PlanStatus.ACTIVE.value, rules.in_partnership(meeting.partnership_id))
        .options(contains_eager(Plan.area))
        .order_by(Plan.title)
    ).all()
    papers = db.session.scalars(
        select(MeetingPaper).where(MeetingPaper.meeting_id == meeting.id).order_by(MeetingPaper.id)
    ).all()
    return render_template(
        "board/meeting.html",
        meeting=meeting,
        items=sorted(meeting.items, key=lambda i: i.position),
        attendance={a.member_id: a for a in board.attendance(meeting)},
        members=board.current_members(meeting.partnership_id, meeting.held_on),
        action_log=board.action_log(meeting),
        raised=board.actions_raised(meeting),
        decisions=board.decisions(meeting),
        plans=plans,
        checked=board.checked_plan_ids(meeting),
        papers=papers,
        review=board.membership_review_status(meeting.partnership_id, meeting.held_on),
        previous=board.previous_meeting(meeting),
        can_manage=has_permission(current_user, Permission.MANAGE_BOARD),
        statuses=list(AttendanceStatus),
        confirm=ConfirmForm(),
        today=today,
    )


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def edit_meeting(meeting_id: int):
    meeting = _meeting(meeting_id)
    form = MeetingForm(obj=meeting)
    if request.method == "GET":
        form.starts_at.data = meeting.starts_at.strftime("%H:%M") if meeting.starts_at else ""
        form.ends_at.data = meeting.ends_at.strftime("%H:%M") if meeting.ends_at else ""
    if form.validate_on_submit():
        if form.held_on.data != meeting.held_on and form.held_on.data < clock.today():
            form.held_on.errors.append("A meeting cannot be moved to a date in the past")
        else:
            try:
                board.update_meeting(
                    meeting,
                    held_on=form.held_on.data,
                    starts_at=form.starts_at.parsed,
                    ends_at=form.ends_at.parsed,
                    place=form.place.data or "",
                    link=form.link.data or "",
                    status=form.status.data,
                    marking=form.marking.data,
                )
            except board.ScheduleProblems as refused:
                db.session.rollback()
                form.held_on.errors.extend(refused.problems)
            else:
                flash("Meeting saved.", "success")
                return redirect(url_for("board.show_meeting", meeting_id=meeting.id))
    return render_template("board/meeting_form.html", form=form, meeting=meeting)


# --- agenda ------------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/items/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def create_item(meeting_id: int):
    meeting = _meeting(meeting_id)
    form = AgendaItemForm()
    if form.validate_on_submit():
        board.add_item(meeting, title=form.title.data, note=form.note.data or "")
        flash("Item added to the agenda.", "success")
        return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="agenda"))
    return render_template("board/item_form.html", form=form, meeting=meeting, item=None)


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def edit_item(meeting_id: int, item_id: int):
    meeting = _meeting(meeting_id)
    item = _item(meeting, item_id)
    form = AgendaItemForm(obj=item)
    if form.validate_on_submit():
        board.update_item(item, title=form.title.data, note=form.note.data or "", minutes=form.minutes.data or "")
        flash("Agenda item saved.", "success")
        return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor=f"item-{item.id}"))
    return render_template("board/item_form.html", form=form, meeting=meeting, item=item)


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/move", methods=["POST"])
@requires(Permission.MANAGE_BOARD)
def move_item(meeting_id: int, item_id: int):
    meeting = _meeting(meeting_id)
    item = _item(meeting, item_id)
    if ConfirmForm().validate_on_submit():
        board.move_item(item, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="agenda"))


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/remove", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def remove_item(meeting_id: int, item_id: int):
    meeting = _meeting(meeting_id)
    item = _item(meeting, item_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = item.title
        board.remove_item(item)
        flash(f"'{title}' removed from the agenda.", "success")
        return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="agenda"))
    return render_template("board/item_remove.html", form=form, meeting=meeting, item=item)


@bp.route("/meetings/<int:meeting_id>/papers", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def attach_paper(meeting_id: int):
    import uuid

    from core.storage import StorageError, get_storage
    from core.uploads import UploadRejected, check_upload

    meeting = _meeting(meeting_id)
    items = sorted(meeting.items, key=lambda i: i.position)
    form = PaperForm(items=items)
    if form.validate_on_submit():
        upload = form.file.data
        limit = current_app.config["MAX_UPLOAD_BYTES"]
        data = upload.read(limit + 1)
        try:
            checked = check_upload(upload.filename, data, max_bytes=limit)
            key = f"papers/{checked.sha256[:2]}/{uuid.uuid4().hex}.{checked.extension}"
            get_storage().put(key, data)
        except UploadRejected as rejected:
            form.file.errors.append(str(rejected))
        except StorageError:
            form.file.errors.append("The file could not be saved. Try again later; nothing was recorded")
        else:
            item_id = int(form.agenda_item_id.data) if form.agenda_item_id.data else None
            if item_id is not None:
                _item(meeting, item_id)
            db.session.add(
                MeetingPaper(
                    meeting_id=meeting.id,
                    agenda_item_id=item_id,
                    title=(form.title.data or "").strip() or checked.safe_name,
                    filename=checked.safe_name,
                    content_type=checked.content_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    storage_key=key,
                    uploaded_by_id=current_user.id,
                )
            )
            flash("Paper attached.", "success")
            return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="papers"))
    return render_template("board/paper_form.html", form=form, meeting=meeting)


@bp.route("/papers/<int:paper_id>")
@requires(Permission.VIEW_BOARD)
def download_paper(paper_id: int):
    from core.storage import StorageError, get_storage

    paper = db.session.get(MeetingPaper, paper_id)
    if paper is None:
        abort(404)
    _readable_meeting(paper.meeting_id)
    try:
        data = get_storage().get(paper.storage_key)
    except StorageError:
        abort(404)
    return send_file(io.BytesIO(data), mimetype=paper.content_type, as_attachment=True, download_name=paper.filename)


# --- at the meeting ------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
@requires(Permission.MANAGE_BOARD)
def record_attendance(meeting_id: int):
    meeting = _meeting(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    members = board.current_members(meeting.partnership_id, meeting.held_on)
    valid = {s.value for s in AttendanceStatus}
    records, problems = {}, []
    for member in members:
        status = request.form.get(f"status-{member.id}", "")
        deputy = request.form.get(f"deputy-{member.id}", "")[:200]
        if not status:
            continue
        if status not in valid:
            abort(400)
        if status == AttendanceStatus.DEPUTY.value and not deputy.strip():
            problems.append(f"Enter the name of the deputy who attended for {member.representative}")
        records[member.id] = (status, deputy)
    if problems:
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="attendance"))
    board.set_attendance(meeting, records)
    flash("Attendance saved.", "success")
    return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="attendance"))


@bp.route("/meetings/<int:meeting_id>/actions/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def create_action(meeting_id: int):
    meeting = _meeting(meeting_id)
    items = sorted(meeting.items, key=lambda i: i.position)
    form = ActionForm(items=items)
    if form.validate_on_submit():
        item_id = int(form.agenda_item_id.data) if form.agenda_item_id.data else None
        if item_id is not None:
            _item(meeting, item_id)
        action = board.add_action(
            meeting,
            description=form.description.data,
            owner=form.owner.data,
            due_on=form.due_on.data,
            agenda_item_id=item_id,
        )
        flash(f"Action A{action.number} recorded.", "success")
        return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="actions"))
    return render_template("board/action_form.html", form=form, meeting=meeting)


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def update_action(action_id: int):
    action = db.session.get(BoardAction, action_id)
    if action is None:
        abort(404)
    form = ActionUpdateForm(obj=action)
    if form.validate_on_submit():
        if form.closed_on.data and form.closed_on.data > clock.today():
            form.closed_on.errors.append("The date closed must be today or in the past")
        else:
            board.update_action(
                action, status=form.status.data, update=form.update.data or "", closed_on=form.closed_on.data
            )
            flash(f"Action A{action.number} saved.", "success")
            back = request.args.get("meeting", "")
            if back.isdigit():
                return redirect(url_for("board.show_meeting", meeting_id=int(back), _anchor="actions"))
            return redirect(url_for("board.overview"))
    return render_template("board/action_update.html", form=form, action=action)


@bp.route("/meetings/<int:meeting_id>/decisions/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_BOARD)
def create_decision(meeting_id: int):
    meeting = _meeting(meeting_id)
    items = sorted(meeting.items, key=lambda i: i.position)
    form = DecisionForm(items=items)
    if form.validate_on_submit():
        item_id = int(form.agenda_item_id.data) if form.agenda_item_id.data else None
        if item_id is not None:
            _item(meeting, item_id)
        board.add_decision(meeting, text=form.text.data, agenda_item_id=item_id)
        flash("Decision recorded.", "success")
        return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="decisions"))
    return render_template("board/decision_form.html", form=form, meeting=meeting)


@bp.route("/meetings/<int:meeting_id>/plans", methods=["POST"])
@requires(Permission.MANAGE_BOARD)
def check_plans(meeting_id: int):
    meeting = _meeting(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = [int(v) for v in request.form.getlist("plan_ids") if v.isdigit()]
    known = set(db.session.scalars(select(Plan.id).where(Plan.id.in_(ids))))
    board.set_plan_checks(meeting, sorted(known))
    flash(f"{len(known)} plan{'s' if len(known) != 1 else ''} marked as checked this quarter.", "success")
    return redirect(url_for("board.show_meeting", meeting_id=meeting.id, _anchor="plans"))


# --- documents -----------------------------------------------------------------------------


def _pdf_response(data: bytes, filename: str) -> Response:
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=filename)


@bp.route("/meetings/<int:meeting_id>/<any(pack, agenda, minutes):part>.pdf")
@requires(Permission.VIEW_BOARD)
def meeting_pdf(meeting_id: int, part: str):
    meeting = _readable_meeting(meeting_id)
    try:
        data = pack.render(meeting, part=part, today=clock.today())
    except PdfError:
        flash(f"The {part} could not be produced just now. Try again; if it keeps failing, tell your administrator.")
        return redirect(url_for("board.show_meeting", meeting_id=meeting.id))
    return _pdf_response(data, f"board-{part}-{meeting.held_on.isoformat()}.pdf")


@bp.route("/meetings/<int:meeting_id>.ics")
@requires(Permission.VIEW_BOARD)
def meeting_calendar(meeting_id: int):
    meeting = _readable_meeting(meeting_id)
    return Response(
        meeting_ics(meeting, host=request.host),
        mimetype="text/calendar",
        headers={"Content-Disposition": f"attachment; filename=board-{meeting.held_on.isoformat()}.ics"},
    )


@bp.route("/meetings.ics")
@requires(Permission.VIEW_BOARD)
def schedule_calendar():
    partnership = partnership_or_404()
    meetings = db.session.scalars(
        select(BoardMeeting)
        .where(BoardMeeting.partnership_id == partnership.id, BoardMeeting.status != MeetingStatus.CANCELLED.value)
        .order_by(BoardMeeting.held_on)
    ).all()
    return Response(
        schedule_ics(meetings, host=request.host, name=f"{partnership.name} board"),
        mimetype="text/calendar",
        headers={"Content-Disposition": "attachment; filename=board-meetings.ics"},
    )
