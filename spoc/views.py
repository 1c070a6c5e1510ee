"""Pages for business areas and their SPOCs."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from core import clock
from core.auth import forbid_unless
from core.dates import Quarter
from core.disclosure import publish
from core.extensions import db
from core.permissions import Permission, can_edit_area, has_permission, requires
from core.vocab import REFERRAL_CATEGORIES, REFERRAL_DIMENSION_LABELS
from partnership.models import BusinessArea
from partnership.services import current_partnership, disclosure_threshold, list_organisations
from spoc import services
from spoc.forms import AreaForm, referral_form_class
from spoc.models import SpocAssignment

bp = Blueprint("spoc", __name__, url_prefix="/areas")


def _get_area(area_id: int) -> BusinessArea:
    area = db.session.get(
        BusinessArea,
        area_id,
        options=[
            selectinload(BusinessArea.assignments).joinedload(SpocAssignment.user),
            joinedload(BusinessArea.organisation),
        ],
    )
    if area is None:
        abort(404)
    return area


@bp.route("")
@requires(Permission.VIEW_PARTNERSHIP)
def list_areas():
    return render_template("spoc/areas.html", areas=services.list_areas())


@bp.route("/<int:area_id>")
@requires(Permission.VIEW_PARTNERSHIP)
def show_area(area_id: int):
    from plans.services import plan_summaries

    area = _get_area(area_id)
    today = clock.today()
    quarters = Quarter.from_date(today).back(4)
    summaries = None
    if has_permission(current_user, Permission.VIEW_PLANS):
        summaries = plan_summaries(today=today, area_ids=[area.id])
    last_update = max((s.last_update for s in summaries or [] if s.last_update), default=None)
    # Each quarter's referrals (every heading adds up to it), published as counts about people are.
    recorded = {q: max(t.values()) for q, t in services.referral_totals(area.id, quarters).items() if t}
    return render_template(
        "spoc/area.html",
        area=area,
        summaries=summaries,
        last_update=last_update,
        quarters=quarters,
        referrals=publish(recorded, threshold=disclosure_threshold(area.partnership_id)),
        can_record=can_edit_area(current_user, area.id),
        dimensions=REFERRAL_DIMENSION_LABELS,
    )


@bp.route("/<int:area_id>/referrals/<quarter>", methods=["GET", "POST"])
@requires(Permission.EDIT_PLANS)
def record_referrals(area_id: int, quarter: str):
    area = _get_area(area_id)
    forbid_unless(can_edit_area(current_user, area.id))
    try:
        chosen = Quarter.parse(quarter)
    except ValueError:
        abort(404)
    if chosen.start > clock.today():
        abort(404)
    form = referral_form_class()()
    if request.method == "GET":
        for (dimension, category), n in services.referral_counts(area.id, chosen).items():
            getattr(form, f"{dimension}__{category}").data = str(n)
    if form.validate_on_submit():
        counts = form.counts()
        problems = services.referral_problems(counts)
        if problems:
            form.sector__education.errors.extend(problems)
        else:
            services.save_referral_counts(area.id, chosen, counts)
            flash(f"Referral counts for {chosen.name} saved.", "success")
            return redirect(url_for("spoc.show_area", area_id=area.id))
    return render_template(
        "spoc/referrals_form.html",
        form=form,
        area=area,
        quarter=chosen,
        categories=REFERRAL_CATEGORIES,
        dimensions=REFERRAL_DIMENSION_LABELS,
    )


def _area_form(area: BusinessArea | None = None) -> AreaForm:
    form = AreaForm(obj=area, organisations=list_organisations(include_inactive=False))
    if area is not None and request.method == "GET":
        form.organisation_id.data = str(area.organisation_id or "")
    return form


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PARTNERSHIP)
def create_area():
    partnership = current_partnership()
    if partnership is None:
        abort(404)
    form = _area_form()
    if form.validate_on_submit():
        if services.area_name_taken(partnership.id, form.name.data):
            form.name.errors.append("A business area with this name already exists")
        else:
            area = services.create_area(
                partnership_id=partnership.id,
                name=form.name.data,
                organisation_id=int(form.organisation_id.data) if form.organisation_id.data else None,
                contact_email=form.contact_email.data or "",
                contact_phone=form.contact_phone.data or "",
            )
            flash(f"{area.name} added. Assign its SPOCs from the Users page.", "success")
            return redirect(url_for("spoc.show_area", area_id=area.id))
    return render_template("spoc/area_form.html", form=form, area=None)


@bp.route("/<int:area_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PARTNERSHIP)
def edit_area(area_id: int):
    area = _get_area(area_id)
    form = _area_form(area)
    if form.validate_on_submit():
        if services.area_name_taken(area.partnership_id, form.name.data, except_id=area.id):
            form.name.errors.append("A business area with this name already exists")
        else:
            services.update_area(
                area,
                name=form.name.data,
                organisation_id=int(form.organisation_id.data) if form.organisation_id.data else None,
                contact_email=form.contact_email.data or "",
                contact_phone=form.contact_phone.data or "",
            )
            flash("Business area saved.", "success")
            return redirect(url_for("spoc.show_area", area_id=area.id))
    return render_template("spoc/area_form.html", form=form, area=area)
