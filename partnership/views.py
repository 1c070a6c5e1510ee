"""Pages for the partnership's member organisations and its settings."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from core.extensions import db
from core.permissions import Permission, requires
from partnership import services
from partnership.forms import OrganisationForm, SettingsForm
from partnership.models import BusinessArea, Organisation, OrganisationKind

bp = Blueprint("partnership", __name__, url_prefix="/partnership")


def _get_organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


@bp.route("/organisations")
@requires(Permission.VIEW_PARTNERSHIP)
def list_organisations():
    area_counts = dict(
        db.session.execute(
            select(BusinessArea.organisation_id, func.count()).group_by(BusinessArea.organisation_id)
        ).all()
    )
    return render_template(
        "partnership/organisations.html",
        organisations=services.list_organisations(),
        partnership=services.current_partnership(),
        area_counts=area_counts,
        kinds=OrganisationKind,
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PARTNERSHIP)
def create_organisation():
    partnership = services.current_partnership()
    if partnership is None:
        abort(404)
    form = OrganisationForm()
    if form.validate_on_submit():
        if services.organisation_name_taken(partnership.id, form.name.data):
            form.name.errors.append("An organisation with this name is already a member")
        else:
            organisation = services.create_organisation(
                partnership_id=partnership.id,
                name=form.name.data,
                kind=form.kind.data,
                short_name=form.short_name.data or "",
            )
            flash(f"{organisation.name} added to the partnership.", "success")
            return redirect(url_for("partnership.list_organisations"))
    return render_template("partnership/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PARTNERSHIP)
def edit_organisation(organisation_id: int):
    organisation = _get_organisation(organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        if services.organisation_name_taken(organisation.partnership_id, form.name.data, except_id=organisation.id):
            form.name.errors.append("An organisation with this name is already a member")
        else:
            services.update_organisation(
                organisation,
                name=form.name.data,
                kind=form.kind.data,
                short_name=form.short_name.data or "",
                active=form.active.data,
            )
            flash("Organisation saved.", "success")
            return redirect(url_for("partnership.list_organisations"))
    return render_template("partnership/organisation_form.html", form=form, organisation=organisation)


@bp.route("/settings", methods=["GET", "POST"])
@requires(Permission.MANAGE_PARTNERSHIP)
def edit_settings():
    partnership = services.partnership_or_404()
    form = SettingsForm()
    if request.method == "GET":
        form.disclosure_threshold.data = str(partnership.disclosure_threshold)
    if form.validate_on_submit():
        services.update_disclosure_threshold(partnership, threshold=form.threshold)
        flash("Partnership settings saved.", "success")
        return redirect(url_for("partnership.edit_settings"))
    return render_template(
        "partnership/settings.html",
        form=form,
        partnership=partnership,
        regional_access=services.regional_grants(partnership_id=partnership.id),
    )
