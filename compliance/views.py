"""Pages for annual compliance: the self-assessment, automatic checks, findings, sign-off,
the annual report and the evidence bundle."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from compliance import services, snapshot
from compliance.bundle import build_bundle
from compliance.checks import Year, run_checks
from compliance.forms import (
    CloseFindingForm,
    EvidenceLinkForm,
    FindingForm,
    ImprovementActionForm,
    NewVersionForm,
    RatingForm,
    ResponseForm,
    SignOffForm,
    StartAssessmentForm,
)
from compliance.models import ComplianceAssessment, EvidenceLink, Expectation, Finding
from compliance.report import report_pdf, report_xlsx
from compliance.services import AssessmentLocked, ComplianceError
from compliance.toolkit import BY_KEY, SECTIONS
from core import clock
from core.auth import forbid_unless
from core.extensions import db
from core.forms import SelectChoice
from core.models import User
from core.permissions import Permission, has_permission, requires
from partnership.services import partnership_or_404

bp = Blueprint("compliance", __name__, url_prefix="/compliance")


def _get(model, record_id: int):
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    return record


def _assessment(assessment_id: int) -> ComplianceAssessment:
    assessment = _get(ComplianceAssessment, assessment_id)
    forbid_unless(services.year_visible(current_user, assessment.year))
    return assessment


def _refused(assessment: ComplianceAssessment, exc: Exception):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(url_for("compliance.show_assessment", assessment_id=assessment.id))


@bp.route("")
@requires(Permission.VIEW_COMPLIANCE)
def index():
    partnership = partnership_or_404()
    rows = [a for a in services.assessments(partnership.id) if services.year_visible(current_user, a.year)]
    form = StartAssessmentForm()
    if request.method == "GET":
        form.year.data = clock.today().year - 1
    return render_template("compliance/index.html", assessments=rows, form=form, last_year=clock.today().year - 1)


@bp.route("/start", methods=["POST"])
@requires(Permission.MANAGE_COMPLIANCE)
def start_assessment():
    partnership = partnership_or_404()
    form = StartAssessmentForm()
    if form.validate_on_submit():
        try:
            assessment = services.open_assessment(
                partnership_id=partnership.id, year=form.year.data, today=clock.today()
            )
        except ComplianceError as exc:
            form.year.errors.append(str(exc))
        else:
            flash(f"The {assessment.year} self-assessment has been started.", "success")
            return redirect(url_for("compliance.show_assessment", assessment_id=assessment.id))
    rows = services.assessments(partnership.id)
    return render_template("compliance/index.html", assessments=rows, form=form, last_year=clock.today().year - 1), 400


@bp.route("/<int:assessment_id>")
@requires(Permission.VIEW_COMPLIANCE)
def show_assessment(assessment_id: int):
    assessment = _assessment(assessment_id)
    frozen = _stored(assessment)
    checks = frozen[0] if frozen is not None else run_checks(assessment.partnership_id, assessment.year)
    sections = []
    for section in SECTIONS:
        mine = [e for e in assessment.expectations if e.section == section.key]
        sections.append(
            {
                "section": section,
                "rag": services.section_rag(mine),
                "expectations": mine,
                "checks": [c for c in checks if c.section == section.key],
                "findings": [f for f in assessment.findings if f.section == section.key],
            }
        )
    versions = services.assessments(assessment.partnership_id, year=assessment.year)
    return render_template(
        "compliance/assessment.html",
        assessment=assessment,
        sections=sections,
        span=Year(assessment.year),
        versions=versions,
        can_respond=lambda f: services.can_respond(current_user, f),
    )


@bp.route("/expectations/<int:expectation_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_COMPLIANCE)
def edit_expectation(expectation_id: int):
    expectation = _get(Expectation, expectation_id)
    assessment = expectation.assessment
    form = RatingForm(obj=expectation if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.rate_expectation(expectation, rating=form.rating.data, narrative=form.narrative.data)
        except AssessmentLocked as exc:
            return _refused(assessment, exc)
        flash(f"Expectation {expectation.code} saved.", "success")
        return redirect(url_for("compliance.show_assessment", assessment_id=assessment.id, _anchor=expectation.section))
    return render_template(
        "compliance/expectation.html",
        expectation=expectation,
        assessment=assessment,
        section=BY_KEY[expectation.section],
        form=form,
        evidence_form=EvidenceLinkForm(formdata=None),
        action_form=ImprovementActionForm(formdata=None),
    )


@bp.route("/expectations/<int:expectation_id>/evidence", methods=["POST"])
@requires(Permission.MANAGE_COMPLIANCE)
def add_evidence(expectation_id: int):
    expectation = _get(Expectation, expectation_id)
    form = EvidenceLinkForm()
    if form.validate_on_submit():
        try:
            services.add_evidence_link(expectation, kind=form.kind.data, target_id=form.target_id.data)
        except AssessmentLocked as exc:
            return _refused(expectation.assessment, exc)
        except ComplianceError as exc:
            form.target_id.errors.append(str(exc))
        else:
            flash("Evidence link added.", "success")
            return redirect(url_for("compliance.edit_expectation", expectation_id=expectation.id))
    return render_template(
        "compliance/expectation.html",
        expectation=expectation,
        assessment=expectation.assessment,
        section=BY_KEY[expectation.section],
        form=RatingForm(formdata=None, obj=expectation),
        evidence_form=form,
        action_form=ImprovementActionForm(formdata=None),
    ), 400


@bp.route("/evidence/<int:link_id>/remove", methods=["POST"])
@requires(Permission.MANAGE_COMPLIANCE)
def remove_evidence(link_id: int):
    link = _get(EvidenceLink, link_id)
    expectation = link.expectation
    from flask_wtf import FlaskForm

    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        services.remove_evidence_link(link)
    except AssessmentLocked as exc:
        return _refused(expectation.assessment, exc)
    flash("Evidence link removed.", "success")
    return redirect(url_for("compliance.edit_expectation", expectation_id=expectation.id))


@bp.route("/expectations/<int:expectation_id>/actions", methods=["POST"])
@requires(Permission.MANAGE_COMPLIANCE)
def add_action(expectation_id: int):
    expectation = _get(Expectation, expectation_id)
    form = ImprovementActionForm()
    if form.validate_on_submit():
        try:
            action = services.add_improvement_action(
                expectation, description=form.description.data, lead=form.lead.data, due_date=form.due_date.data
            )
        except AssessmentLocked as exc:
            return _refused(expectation.assessment, exc)
        except ComplianceError as exc:
            form.description.errors.append(str(exc))
        else:
            flash(f"Improvement action added to {action.plan_row.plan.title}.", "success")
            return redirect(url_for("compliance.edit_expectation", expectation_id=expectation.id))
    return render_template(
        "compliance/expectation.html",
        expectation=expectation,
        assessment=expectation.assessment,
        section=BY_KEY[expectation.section],
        form=RatingForm(formdata=None, obj=expectation),
        evidence_form=EvidenceLinkForm(formdata=None),
        action_form=form,
    ), 400


# --- findings ----------------------------------------------------------------------------------


def _owner_choices() -> list[SelectChoice]:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))
    return [SelectChoice("", "Select the owner")] + [
        SelectChoice(str(u.id), f"{u.full_name} ({u.email})") for u in users
    ]


@bp.route("/<int:assessment_id>/findings/new", methods=["GET", "POST"])
@requires(Permission.WRITE_FINDINGS)
def create_finding(assessment_id: int):
    assessment = _assessment(assessment_id)
    form = FindingForm()
    form.owner_id.choices = _owner_choices()
    if form.validate_on_submit():
        try:
            services.record_finding(
                assessment,
                section=form.section.data,
                title=form.title.data,
                severity=form.severity.data,
                recommendation=form.recommendation.data,
                owner_id=int(form.owner_id.data) if form.owner_id.data.isdigit() else 0,
                due_on=form.due_on.data,
                raised_by=current_user,
            )
        except AssessmentLocked as exc:
            return _refused(assessment, exc)
        except ComplianceError as exc:
            form.owner_id.errors.append(str(exc))
        else:
            flash("Finding recorded. Its owner can now respond.", "success")
            return redirect(url_for("compliance.show_assessment", assessment_id=assessment.id, _anchor="findings"))
    return render_template("compliance/finding_form.html", form=form, assessment=assessment)


@bp.route("/my-findings")
@requires(Permission.SIGNED_IN)
def my_findings():
    """The findings a user owns, to answer (owners need not be able to read the whole assessment)."""
    findings = services.findings_owned_by(current_user.id)
    return render_template("compliance/my_findings.html", findings=findings)


@bp.route("/findings/<int:finding_id>/respond", methods=["GET", "POST"])
@requires(Permission.SIGNED_IN)
def respond_finding(finding_id: int):
    finding = _get(Finding, finding_id)
    forbid_unless(services.can_respond(current_user, finding))
    form = ResponseForm(obj=finding if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.respond_to_finding(finding, response=form.response.data, actor=current_user)
        except AssessmentLocked as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("compliance.respond_finding", finding_id=finding.id))
        except ComplianceError as exc:
            form.response.errors.append(str(exc))
        else:
            flash("Response saved.", "success")
            if has_permission(current_user, Permission.VIEW_COMPLIANCE):
                return redirect(
                    url_for("compliance.show_assessment", assessment_id=finding.assessment_id, _anchor="findings")
                )
            return redirect(url_for("compliance.my_findings"))
    return render_template("compliance/respond.html", form=form, finding=finding)


@bp.route("/findings/<int:finding_id>/close", methods=["GET", "POST"])
@requires(Permission.WRITE_FINDINGS)
def close_finding(finding_id: int):
    finding = _get(Finding, finding_id)
    forbid_unless(services.year_visible(current_user, finding.assessment.year))
    form = CloseFindingForm()
    if form.validate_on_submit():
        try:
            services.close_finding(finding, evidence=form.evidence.data, closed_on=clock.today())
        except AssessmentLocked as exc:
            return _refused(finding.assessment, exc)
        except ComplianceError as exc:
            form.evidence.errors.append(str(exc))
        else:
            flash("Finding closed.", "success")
            return redirect(
                url_for("compliance.show_assessment", assessment_id=finding.assessment_id, _anchor="findings")
            )
    return render_template("compliance/close_finding.html", form=form, finding=finding)


# --- sign-off and versions ---------------------------------------------------------------------


@bp.route("/<int:assessment_id>/sign-off", methods=["GET", "POST"])
@requires(Permission.WRITE_FINDINGS)
def sign_off(assessment_id: int):
    assessment = _assessment(assessment_id)
    form = SignOffForm()
    if form.validate_on_submit():
        try:
            services.sign_off(assessment, auditor=current_user, statement=form.statement.data)
        except AssessmentLocked as exc:
            return _refused(assessment, exc)
        except ComplianceError as exc:
            form.statement.errors.append(str(exc))
        else:
            flash(f"The {assessment.year} assessment is signed off and now read-only.", "success")
            return redirect(url_for("compliance.show_assessment", assessment_id=assessment.id))
    return render_template("compliance/sign_off.html", form=form, assessment=assessment)


@bp.route("/<int:assessment_id>/new-version", methods=["GET", "POST"])
@requires(Permission.MANAGE_COMPLIANCE)
def new_version(assessment_id: int):
    assessment = _assessment(assessment_id)
    form = NewVersionForm()
    if form.validate_on_submit():
        try:
            new = services.open_new_version(assessment, reason=form.reason.data)
        except ComplianceError as exc:
            form.reason.errors.append(str(exc))
        else:
            flash(f"Version {new.version} of the {new.year} assessment is open.", "success")
            return redirect(url_for("compliance.show_assessment", assessment_id=new.id))
    return render_template("compliance/new_version.html", form=form, assessment=assessment)


# --- report and bundle -------------------------------------------------------------------------


@bp.route("/<int:assessment_id>/report.<any(pdf, xlsx):fmt>")
@requires(Permission.VIEW_COMPLIANCE)
def download_report(assessment_id: int, fmt: str):
    assessment = _assessment(assessment_id)
    name = f"compliance-report-{assessment.year}-v{assessment.version}.{fmt}"
    if fmt == "pdf":
        data, mimetype = (
            report_pdf(assessment.partnership_id, assessment.year, assessment=assessment),
            "application/pdf",
        )
    else:
        data = report_xlsx(assessment.partnership_id, assessment.year, assessment=assessment)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _send(data, mimetype, name)


@bp.route("/years/<int:year>/report.pdf")
@requires(Permission.VIEW_COMPLIANCE)
def download_year_report(year: int):
    """The report for a year whether or not its self-assessment was started."""
    forbid_unless(services.year_visible(current_user, year))
    partnership = partnership_or_404()
    return _send(report_pdf(partnership.id, year), "application/pdf", f"compliance-report-{year}.pdf")


@bp.route("/<int:assessment_id>/bundle.zip")
@requires(Permission.VIEW_COMPLIANCE)
def download_bundle(assessment_id: int):
    assessment = _assessment(assessment_id)
    out = build_bundle(assessment.partnership_id, assessment.year, reader=current_user, assessment=assessment)
    return send_file(
        out, mimetype="application/zip", as_attachment=True, download_name=f"evidence-bundle-{assessment.year}.zip"
    )


def _stored(assessment):
    """The report data stored at sign-off, or None (compute it now)."""
    return snapshot.stored(assessment)


@bp.errorhandler(snapshot.SnapshotError)
def _tampered(_error):
    """A signed-off report whose stored data no longer matches its digest is never printed."""
    body = (
        "The report data stored when this year was signed off no longer matches its SHA-256 digest, so it "
        "is not shown or printed. Tell your system administrator: the stored copy of the signed-off report "
        "was changed after sign-off."
    )
    title = "The signed-off report failed its integrity check"
    return render_template("errors/error.html", status=409, title=title, body=body), 409


def _send(data: bytes, mimetype: str, name: str):
    import io

    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
