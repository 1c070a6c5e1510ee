"""Pages for the Channel Panel: cases by reference, reviews, meetings, membership and figures.

Who sees what: case pages need VIEW_CHANNEL_CASES (the panel chair and members); personal
details need VIEW_CHANNEL_PERSONAL and are opened only through the logging service; every
write needs MANAGE_CHANNEL (the chair), except a member's own confirmation that they checked
the case logs. Outside the panel nobody sees a name or a case reference: the Prevent Lead reads
the anonymised log (VIEW_CHANNEL_LOG, its keeper with the panel) and the home page's counts;
auditors the counts and the log's size and upkeep (VIEW_CHANNEL_COUNTS), not its rows; the board
the quarter's figures only, small counts suppressed (VIEW_CHANNEL_FIGURES).
"""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from channel_panel import figures, meetings, services
from channel_panel.dates import REVIEW_MONTHS, retention_date, review_due_on
from channel_panel.forms import (
    CaseForm,
    CloseCaseForm,
    MeetingForm,
    MemberForm,
    PanelForm,
    PersonalDetailsForm,
    ReviewForm,
    ShareForm,
    StageForm,
    SupportItemForm,
    apply_rule_error,
    attendance_form_class,
)
from channel_panel.models import ChannelCase, PanelMeeting, PanelMember, PostClosureReview, SupportPlanItem
from channel_panel.services import CaseRuleError
from channel_panel.vocab import (
    Attendance,
    CaseStage,
    ClosureReason,
    Consent,
    IndividualType,
    LegalBasis,
    LifeStage,
    NotAdoptedOutcome,
    ReviewOutcome,
    SupportStatus,
    category_label,
)
from core import clock
from core.auth import forbid_unless, needs_fresh_second_factor
from core.dates import Quarter
from core.disclosure import Shown, footnote, publish
from core.extensions import db
from core.forms import ConfirmForm
from core.models import User, UserRole
from core.pagination import page_number, paginate
from core.permissions import Permission, can_see_channel_personal, has_permission, requires
from core.spreadsheets import csv_lines, csv_text, xlsx_bytes
from core.vocab import REFERRAL_CATEGORIES, REFERRAL_DIMENSION_LABELS, Role
from partnership.services import disclosure_threshold, list_organisations
from spoc.services import list_areas

bp = Blueprint("channel_panel", __name__, url_prefix="/channel")
#: For the stage tag macro (templates/channel_panel/_macros.html).
bp.add_app_template_global(CaseStage, "ChannelCaseStage")
bp.add_app_template_global(category_label, "channel_category_label")


def _get(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _get_case(case_id: int) -> ChannelCase:
    case = services.load_case(case_id)
    if case is None:
        abort(404)
    return case


def _child(model, case: ChannelCase, object_id: int):
    """A record of the case (404 for another case's, so ids cannot be walked across cases)."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.case_id != case.id:
        abort(404)
    return obj


def _case_form(obj=None) -> CaseForm:
    return CaseForm(obj=obj, organisations=list_organisations(include_inactive=False), areas=list_areas())


def _saved(form, action) -> bool:
    """Run a service call; on a rule's refusal roll back what it wrote, show it on the form, return False."""
    try:
        action()
    except CaseRuleError as error:
        db.session.rollback()
        apply_rule_error(form, error)
        return False
    return True


# --- home, figures and the anonymised log (VIEW_CHANNEL_FIGURES) --------------------------


@bp.route("")
@requires(Permission.VIEW_CHANNEL_FIGURES)
def home():
    """The panel's front page. Readers of the figures alone (the board) are pointed to them; the
    Prevent Lead and auditors see the counts of open cases and reviews as published figures
    (core.disclosure) and the anonymised log's size; the panel sees its counts as they are."""
    today = clock.today()
    panel_view = has_permission(current_user, Permission.VIEW_CHANNEL_CASES)
    if not has_permission(current_user, Permission.VIEW_CHANNEL_COUNTS):
        return render_template("channel_panel/home.html", counts_view=False, panel_view=False)
    upcoming = meetings.next_meeting(today)
    due = services.reviews_due(upcoming.held_on) if upcoming else []
    panel = meetings.get_panel() if panel_view else None
    overdue = services.overdue_review_count(today)
    threshold = disclosure_threshold()
    if panel_view:  # the panel reads the cases themselves: counts as they are
        open_counts = services.open_case_counts()
        shown = {key: Shown(n) for key, n in {"due": len(due), "overdue": overdue, **open_counts}.items()}
    else:
        # Everyone else reads published figures: the open stages as the current quarter's figures
        # publish them (so this page and the figures page hide the same cells), reviews on their own.
        quarters, _, published = _window(threshold)
        quarter = published[quarters[0].slug]
        open_counts = {s.value: quarter.counts[("by_stage", s.value)] for s in CaseStage if s.is_open}
        reviews = publish({"due": len(due), "overdue": overdue}, threshold=threshold)
        shown = {
            "due": reviews["due"],
            "overdue": reviews["overdue"],
            **{stage: quarter[("by_stage", stage)] for stage in open_counts},
        }
    return render_template(
        "channel_panel/home.html",
        counts_view=True,
        panel_view=panel_view,
        panel=panel,
        terms_flag=meetings.terms_review_flag(panel, today) if panel else None,
        upcoming=upcoming,
        due=due,
        shown=shown,
        any_suppressed=any(v.suppressed for v in (shown[k] for k in ("due", "overdue", *open_counts))),
        footnote=footnote(threshold),
        open_stages=list(open_counts),
        any_open=any(open_counts.values()),
        log=services.log_extent(),
    )


def _window(threshold: int) -> tuple[list[Quarter], dict[str, dict], dict[str, figures.QuarterShown]]:
    """The five quarters offered (newest first), their counts (the quarter in progress up to
    today) and how they may be shown: published as one output, so that no view of one quarter
    gives away a count hidden in another (see figures.published_quarters)."""
    today = clock.today()
    quarters = figures.window(today)
    counts = {
        q.slug: figures.board_figures(quarter_start=q.start, quarter_end=min(q.end, today)) for q in reversed(quarters)
    }
    return quarters, counts, figures.published_quarters(list(counts.items()), threshold=threshold)


def _chosen_quarter(quarters: list[Quarter]) -> tuple[Quarter, str | None]:
    """The quarter asked for (the current one by default) if it is one offered, and any problem."""
    raw = request.args.get("quarter", "")
    if not raw:
        return quarters[0], None
    try:
        chosen = Quarter.parse(raw)
    except ValueError:
        return quarters[0], "Choose a quarter from the list"
    if chosen not in quarters:
        return quarters[0], "Choose a quarter from the list"
    return chosen, None


@bp.route("/figures")
@requires(Permission.VIEW_CHANNEL_FIGURES)
def show_figures():
    quarters, counts, shown = _window(disclosure_threshold())
    chosen, problem = _chosen_quarter(quarters)
    trend = [(q, shown[q.slug]) for q in reversed(quarters)]
    return (
        render_template(
            "channel_panel/figures.html",
            shown=shown[chosen.slug],
            period_end=counts[chosen.slug]["quarter_end"],
            in_progress=chosen.end > clock.today(),
            trend=trend,
            any_suppressed=any(p.any_suppressed for _, p in trend),
            quarter=chosen,
            quarters=quarters,
            problem=problem,
            headline=figures.HEADLINE,
            categories=REFERRAL_CATEGORIES,
            dimension_labels=REFERRAL_DIMENSION_LABELS,
            stages=CaseStage,
        ),
        400 if problem else 200,
    )


@bp.route("/figures/download")
@requires(Permission.VIEW_CHANNEL_FIGURES)
def export_figures():
    """A quarter's figures as CSV or XLSX (``?format=``), hidden cells as [c] exactly as on the page."""
    quarters, _, published = _window(disclosure_threshold())
    chosen, problem = _chosen_quarter(quarters)
    fmt = request.args.get("format", "csv")
    if problem or fmt not in ("csv", "xlsx"):
        abort(404)
    shown = published[chosen.slug]
    header = ["Table", "Row", "Count"]
    rows = [*figures.figures_table(shown), ("Note", "", shown.footnote)]
    name = f"channel-figures-{chosen.slug}"
    if fmt == "csv":
        return Response(
            csv_text(header, rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}.csv"},
        )
    return Response(
        xlsx_bytes(header, rows, title=f"Channel figures {chosen.name}"),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
    )


@bp.route("/log")
@requires(Permission.VIEW_CHANNEL_LOG)
def list_log():
    page = paginate(figures.log_query(), page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("channel_panel/log.html", page=page, rows=[figures.log_summary(e) for e in page.items])


@bp.route("/log.csv")
@requires(Permission.VIEW_CHANNEL_LOG)
def export_log():
    entries = db.session.scalars(figures.log_query())
    rows = [figures.log_row(e) for e in entries]
    return Response(
        "".join(csv_lines(figures.LOG_HEADER, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=channel-anonymised-log-{clock.today():%Y-%m-%d}.csv"},
    )


# --- cases (VIEW_CHANNEL_CASES to read, MANAGE_CHANNEL to write) ---------------------------


@bp.route("/cases")
@requires(Permission.VIEW_CHANNEL_CASES)
def list_cases():
    q = request.args.get("q", "").strip()[:20]
    stage = request.args.get("stage", "open")
    sort = request.args.get("sort", "newest")
    if sort not in services.CASE_SORTS:
        sort = "newest"
    # A reference names one case, open or closed: a search by reference looks at both (unless a
    # single stage is chosen), and the page says so.
    searched = "all" if q and stage == "open" else stage
    known = {s.value: s.label for s in CaseStage}
    if searched == "open":
        scope = "open cases"
    elif searched in known:
        scope = f"cases at the {known[searched].lower()} stage"
    else:
        scope = "open and closed cases"
    query = services.case_query(q=q, stage=searched, sort=sort)
    page = paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    return render_template(
        "channel_panel/cases.html", page=page, q=q, stage=stage, scope=scope, sort=sort, stages=CaseStage
    )


@bp.route("/cases/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def create_case():
    form = _case_form()
    if form.validate_on_submit():
        created = {}

        def create():
            created["case"] = services.create_case(
                details=form.details(), today=clock.today(), reference=form.reference.data or ""
            )

        try:
            ok = _saved(form, create)
        except IntegrityError:  # two people took the same reference at once
            db.session.rollback()
            form.reference.errors.append("That case reference was taken just now. Save again for the next one")
            ok = False
        if ok:
            case = created["case"]
            flash(f"Case {case.reference} created. Add the personal details if you hold them.", "success")
            return redirect(url_for("channel_panel.show_case", case_id=case.id))
    return render_template("channel_panel/case_form.html", form=form, case=None)


@bp.route("/cases/<int:case_id>")
@requires(Permission.VIEW_CHANNEL_CASES)
def show_case(case_id: int):
    case = _get_case(case_id)
    labels = {
        "life_stage": LifeStage(case.life_stage).label,
        "individual_type": IndividualType(case.individual_type).label,
        "consent": Consent(case.consent).label,
        "not_adopted_outcome": NotAdoptedOutcome(case.not_adopted_outcome).label if case.not_adopted_outcome else "",
        "closure_reason": ClosureReason(case.closure_reason).label if case.closure_reason else "",
    }
    return render_template(
        "channel_panel/case.html",
        case=case,
        labels=labels,
        support_labels=dict(SupportStatus.pairs()),
        basis_labels=dict(LegalBasis.pairs()),
        outcome_labels=dict(ReviewOutcome.pairs()),
        retention_on=retention_date(case.concern_reported_on),
        can_manage=has_permission(current_user, Permission.MANAGE_CHANNEL),
        can_see_personal=can_see_channel_personal(current_user),
        stages=CaseStage,
        today=clock.today(),
    )


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def edit_case(case_id: int):
    case = _get_case(case_id)
    form = _case_form(case)
    del form.reference
    if request.method == "GET":
        form.organisation_id.data = str(case.organisation_id or "")
        form.business_area_id.data = str(case.business_area_id or "")
    if form.validate_on_submit() and _saved(
        form, lambda: services.update_case(case, details=form.details(), today=clock.today())
    ):
        flash(f"Case {case.reference} saved.", "success")
        return redirect(url_for("channel_panel.show_case", case_id=case.id))
    return render_template("channel_panel/case_form.html", form=form, case=case)


@bp.route("/cases/<int:case_id>/stage", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def change_stage(case_id: int):
    case = _get_case(case_id)
    form = StageForm(stages=case.stage_enum.next_stages)
    if form.validate_on_submit() and _saved(
        form,
        lambda: services.change_stage(
            case,
            stage=form.stage.data,
            on=form.on.data,
            today=clock.today(),
            not_adopted_outcome=form.not_adopted_outcome.data or None,
        ),
    ):
        flash(f"Case {case.reference} moved to {case.stage_enum.label.lower()}.", "success")
        return redirect(url_for("channel_panel.show_case", case_id=case.id))
    return render_template("channel_panel/stage_form.html", form=form, case=case)


@bp.route("/cases/<int:case_id>/close", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def close_case(case_id: int):
    """Two steps: the form, then a confirmation page showing the review dates it will set."""
    case = _get_case(case_id)
    form = CloseCaseForm()
    if request.method == "GET":
        form.closed_on.data = clock.today()
    if form.validate_on_submit():
        problem = services.closure_problem(
            case, closed_on=form.closed_on.data, reason=form.reason.data, today=clock.today()
        )
        if problem:
            apply_rule_error(form, problem)
        elif form.confirmed.data != "yes":
            reviews = [(m, review_due_on(form.closed_on.data, m)) for m in REVIEW_MONTHS]
            return render_template(
                "channel_panel/close_confirm.html",
                form=form,
                case=case,
                reviews=reviews,
                reason=ClosureReason(form.reason.data).label,
            )
        elif _saved(
            form,
            lambda: services.close_case(
                case, closed_on=form.closed_on.data, reason=form.reason.data, note=form.note.data, today=clock.today()
            ),
        ):
            flash(f"Case {case.reference} closed. Its 6- and 12-month reviews are scheduled.", "success")
            return redirect(url_for("channel_panel.show_case", case_id=case.id))
    return render_template("channel_panel/close_form.html", form=form, case=case)


@bp.route("/cases/<int:case_id>/personal")
@requires(Permission.VIEW_CHANNEL_PERSONAL)
@needs_fresh_second_factor
def show_personal(case_id: int):
    case = _get_case(case_id)
    forbid_unless(can_see_channel_personal(current_user))
    # The opening is recorded even if rendering fails: the event outlives the request's rollback.
    personal = services.open_personal_details(case, user=current_user)
    return render_template(
        "channel_panel/personal.html",
        case=case,
        personal=personal,
        can_manage=has_permission(current_user, Permission.MANAGE_CHANNEL),
    )


@bp.route("/cases/<int:case_id>/personal/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
@needs_fresh_second_factor
def edit_personal(case_id: int):
    case = _get_case(case_id)
    forbid_unless(can_see_channel_personal(current_user))
    personal = services.open_personal_details(case, user=current_user)
    form = PersonalDetailsForm(obj=personal)
    if form.validate_on_submit() and _saved(
        form,
        lambda: services.save_personal_details(
            case,
            full_name=form.full_name.data,
            other_names=form.other_names.data,
            date_of_birth=form.date_of_birth.data,
            address=form.address.data,
            today=clock.today(),
        ),
    ):
        flash("Personal details saved.", "success")
        return redirect(url_for("channel_panel.show_personal", case_id=case.id))
    return render_template("channel_panel/personal_form.html", form=form, case=case)


@bp.route("/cases/<int:case_id>/support/new", methods=["GET", "POST"])
@bp.route("/cases/<int:case_id>/support/<int:support_item_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def edit_support_item(case_id: int, support_item_id: int | None = None):
    case = _get_case(case_id)
    item = _child(SupportPlanItem, case, support_item_id) if support_item_id is not None else None
    form = SupportItemForm(obj=item)
    if form.validate_on_submit():
        values = {"need": form.need.data, "provider": form.provider.data, "status": form.status.data}
        if item is None:
            services.add_support_item(case, **values)
        else:
            services.update_support_item(item, **values)
        flash("Support plan saved.", "success")
        return redirect(url_for("channel_panel.show_case", case_id=case.id, _anchor="support-plan"))
    return render_template("channel_panel/support_form.html", form=form, case=case, item=item)


@bp.route("/cases/<int:case_id>/shares/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def add_share(case_id: int):
    case = _get_case(case_id)
    form = ShareForm()
    if form.validate_on_submit() and _saved(
        form,
        lambda: services.add_share(
            case,
            shared_on=form.shared_on.data,
            shared_with=form.shared_with.data,
            what=form.what.data,
            legal_basis=form.legal_basis.data,
            today=clock.today(),
        ),
    ):
        flash("Added to the information-sharing log.", "success")
        return redirect(url_for("channel_panel.show_case", case_id=case.id, _anchor="information-sharing"))
    return render_template("channel_panel/share_form.html", form=form, case=case)


@bp.route("/cases/<int:case_id>/reviews/<int:case_review_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def record_review(case_id: int, case_review_id: int):
    case = _get_case(case_id)
    review = _child(PostClosureReview, case, case_review_id)
    form = ReviewForm(obj=review)
    if request.method == "GET" and review.held_on is None:
        form.held_on.data = clock.today()
    if form.validate_on_submit() and _saved(
        form,
        lambda: services.record_review(
            review,
            held_on=form.held_on.data,
            outcome=form.outcome.data,
            note=form.note.data,
            early_reason=form.early_reason.data,
            today=clock.today(),
        ),
    ):
        flash(f"{review.kind_label.capitalize()} of {case.reference} recorded.", "success")
        return redirect(url_for("channel_panel.show_case", case_id=case.id, _anchor="reviews"))
    return render_template("channel_panel/review_form.html", form=form, case=case, review=review)


# --- meetings ----------------------------------------------------------------------------


@bp.route("/meetings")
@requires(Permission.VIEW_CHANNEL_CASES)
def list_meetings():
    today = clock.today()
    query = select(PanelMeeting).order_by(PanelMeeting.held_on.desc())
    page = paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("channel_panel/meetings.html", page=page, today=today)


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def create_meeting():
    form = MeetingForm()
    created = {}

    def create():
        created["meeting"] = meetings.create_meeting(held_on=form.held_on.data, place=form.place.data)

    if form.validate_on_submit() and _saved(form, create):
        flash("Meeting added.", "success")
        return redirect(url_for("channel_panel.show_meeting", panel_meeting_id=created["meeting"].id))
    return render_template("channel_panel/meeting_form.html", form=form)


@bp.route("/meetings/<int:panel_meeting_id>")
@requires(Permission.VIEW_CHANNEL_CASES)
def show_meeting(panel_meeting_id: int):
    meeting = _get(PanelMeeting, panel_meeting_id)
    today = clock.today()
    me = meetings.member_for_user(current_user)
    attendance = meetings.attendance_by_member(meeting)
    return render_template(
        "channel_panel/meeting.html",
        meeting=meeting,
        agenda=meetings.build_agenda(meeting),
        members=meetings.members(current_on=meeting.held_on),
        attendance=attendance,
        me=me,
        my_row=attendance.get(me.id) if me else None,
        can_confirm=me is not None and meeting.held_on >= today and me.is_current(meeting.held_on),
        can_manage=has_permission(current_user, Permission.MANAGE_CHANNEL),
        confirm_form=ConfirmForm(),
        attendance_labels=dict(Attendance.pairs()),
        today=today,
    )


@bp.route("/meetings/<int:panel_meeting_id>/agenda.pdf")
@requires(Permission.VIEW_CHANNEL_CASES)
def meeting_agenda(panel_meeting_id: int):
    meeting = _get(PanelMeeting, panel_meeting_id)
    data = meetings.agenda_pdf(meeting)  # a PdfError gets the message page (core.errors)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=channel-agenda-{meeting.held_on:%Y-%m-%d}.pdf"},
    )


@bp.route("/meetings/<int:panel_meeting_id>/attendance", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def record_attendance(panel_meeting_id: int):
    meeting = _get(PanelMeeting, panel_meeting_id)
    current = meetings.members(current_on=meeting.held_on)
    form = attendance_form_class(current)()
    if request.method == "GET":
        for member_id, row in meetings.attendance_by_member(meeting).items():
            if hasattr(form, f"status_{member_id}"):
                getattr(form, f"status_{member_id}").data = row.status or ""
                getattr(form, f"checked_{member_id}").data = row.checked_case_logs
    if form.validate_on_submit() and _saved(
        form, lambda: meetings.record_attendance(meeting, entries=form.entries(), today=clock.today())
    ):
        flash("Attendance saved.", "success")
        return redirect(url_for("channel_panel.show_meeting", panel_meeting_id=meeting.id))
    return render_template("channel_panel/attendance_form.html", form=form, meeting=meeting, members=current)


@bp.route("/meetings/<int:panel_meeting_id>/case-logs-checked", methods=["POST"])
@requires(Permission.VIEW_CHANNEL_CASES)
def confirm_case_logs(panel_meeting_id: int):
    """A member's own confirmation that they checked the case logs (for nobody else)."""
    meeting = _get(PanelMeeting, panel_meeting_id)
    me = meetings.member_for_user(current_user)
    forbid_unless(me is not None)
    try:
        meetings.confirm_case_logs(meeting, me, today=clock.today())
        flash("Thank you: your check of the case logs is recorded.", "success")
    except CaseRuleError as error:
        db.session.rollback()
        flash(error.message, "info")
    return redirect(url_for("channel_panel.show_meeting", panel_meeting_id=meeting.id))


# --- membership --------------------------------------------------------------------------


def _panel_users() -> list[User]:
    """Accounts that may sit on the panel: active users with a panel role."""
    panel_roles = [Role.PANEL_CHAIR.value, Role.PANEL_MEMBER.value]
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.roles.any(UserRole.role.in_(panel_roles)))
            .order_by(User.full_name)
        )
    )


@bp.route("/membership")
@requires(Permission.VIEW_CHANNEL_CASES)
def show_membership():
    today = clock.today()
    panel = meetings.get_panel()
    everyone = meetings.members()
    return render_template(
        "channel_panel/membership.html",
        panel=panel,
        current=[m for m in everyone if m.is_current(today)],
        former=[m for m in everyone if not m.is_current(today)],
        terms_flag=meetings.terms_review_flag(panel, today),
        can_manage=has_permission(current_user, Permission.MANAGE_CHANNEL),
    )


@bp.route("/membership/new", methods=["GET", "POST"])
@bp.route("/membership/<int:panel_member_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def edit_member(panel_member_id: int | None = None):
    member = _get(PanelMember, panel_member_id) if panel_member_id is not None else None
    form = MemberForm(obj=member, organisations=list_organisations(include_inactive=False), users=_panel_users())
    if request.method == "GET" and member is not None:
        form.organisation_id.data = str(member.organisation_id)
        form.user_id.data = str(member.user_id or "")
    if form.validate_on_submit() and _saved(form, lambda: meetings.save_member(member, **form.values())):
        flash("Panel member saved.", "success")
        return redirect(url_for("channel_panel.show_membership"))
    return render_template("channel_panel/member_form.html", form=form, member=member)


@bp.route("/membership/panel", methods=["GET", "POST"])
@requires(Permission.MANAGE_CHANNEL)
def edit_panel():
    today = clock.today()
    panel = meetings.get_panel()
    current = meetings.members(current_on=today)
    form = PanelForm(obj=panel, members=current)
    if request.method == "GET":
        form.chair_id.data = str(panel.chair_id or "")
        form.deputy_chair_id.data = str(panel.deputy_chair_id or "")
    if form.validate_on_submit() and _saved(
        form,
        lambda: meetings.update_panel(
            panel,
            chair_id=int(form.chair_id.data) if form.chair_id.data else None,
            deputy_chair_id=int(form.deputy_chair_id.data) if form.deputy_chair_id.data else None,
            terms_reviewed_on=form.terms_reviewed_on.data,
            terms_review_due_on=form.terms_review_due_on.data,
            today=today,
        ),
    ):
        flash("Chair, deputy chair and terms of reference saved.", "success")
        return redirect(url_for("channel_panel.show_membership"))
    return render_template("channel_panel/panel_form.html", form=form)
