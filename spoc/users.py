"""The Prevent Lead's user administration: create, edit roles and areas, deactivate."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core import accounts
from core.extensions import db
from core.forms import ConfirmForm, SetPasswordForm
from core.models import User, UserRole
from core.pagination import page_number, paginate
from core.permissions import Permission, requires
from core.vocab import Role
from partnership.services import list_organisations
from spoc.models import Capacity, SpocAssignment
from spoc.services import list_areas, set_user_areas
from spoc.user_forms import NewUserForm, UserForm

bp = Blueprint("users", __name__, url_prefix="/users")

SORTS = {
    "name": User.full_name,
    "email": User.email,
    "last_login": User.last_login_at.desc(),
}


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_form(form_class, user: User | None = None, **kwargs):
    form = form_class(
        obj=user,
        organisations=list_organisations(include_inactive=False),
        areas=list_areas(),
        **kwargs,
    )
    if user is not None and request.method == "GET":
        form.organisation_id.data = str(user.organisation_id or "")
        form.roles.data = sorted(r.role for r in user.roles)
        form.lead_area_ids.data = [str(a.area_id) for a in user.spoc_assignments if a.capacity == Capacity.SPOC.value]
        form.deputy_area_ids.data = [
            str(a.area_id) for a in user.spoc_assignments if a.capacity == Capacity.DEPUTY.value
        ]
    return form


@bp.route("")
@requires(Permission.MANAGE_USERS)
def list_users():
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    status = request.args.get("status", "active")
    sort = request.args.get("sort", "name")
    query = select(User).options(
        selectinload(User.roles), selectinload(User.spoc_assignments).joinedload(SpocAssignment.area)
    )
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.full_name.ilike(like), User.email.ilike(like)))
    if role in {r.value for r in Role}:
        query = query.where(User.roles.any(UserRole.role == role))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "deactivated":
        query = query.where(User.active.is_(False))
    query = query.order_by(SORTS.get(sort, User.full_name), User.id)
    page = paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("users/list.html", page=page, q=q, role=role, status=status, sort=sort, roles=list(Role))


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def create_user():
    form = _user_form(NewUserForm)
    if form.validate_on_submit():
        if accounts.email_taken(form.email.data):
            form.email.errors.append("A user with this email address already exists")
        else:
            user = accounts.create_user(
                email=form.email.data,
                full_name=form.full_name.data,
                job_title=form.job_title.data or "",
                organisation_id=int(form.organisation_id.data) if form.organisation_id.data else None,
                password=form.password.data,
                roles=[Role(r) for r in form.roles.data],
            )
            set_user_areas(user, lead_ids=form.lead_area_ids.data, deputy_ids=form.deputy_area_ids.data)
            accounts.set_access_limits(user, expires_on=form.access_expires_on.data, audit_year=form.audit_year.data)
            flash(f"{user.full_name} can now sign in with the temporary password you set.", "success")
            return redirect(url_for("users.show_user", user_id=user.id))
    return render_template("users/form.html", form=form, user=None)


@bp.route("/<int:user_id>")
@requires(Permission.MANAGE_USERS)
def show_user(user_id: int):
    user = _get_user(user_id)
    return render_template("users/show.html", user=user)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def edit_user(user_id: int):
    user = _get_user(user_id)
    form = _user_form(UserForm, user)
    if form.validate_on_submit():
        removing_own_lead = user.id == current_user.id and Role.PREVENT_LEAD.value not in form.roles.data
        if accounts.email_taken(form.email.data, except_user_id=user.id):
            form.email.errors.append("A user with this email address already exists")
        elif removing_own_lead:
            form.roles.errors.append("You cannot remove your own Prevent Lead role")
        else:
            accounts.update_user(
                user,
                email=form.email.data,
                full_name=form.full_name.data,
                job_title=form.job_title.data or "",
                organisation_id=int(form.organisation_id.data) if form.organisation_id.data else None,
                roles=[Role(r) for r in form.roles.data],
            )
            set_user_areas(user, lead_ids=form.lead_area_ids.data, deputy_ids=form.deputy_area_ids.data)
            accounts.set_access_limits(user, expires_on=form.access_expires_on.data, audit_year=form.audit_year.data)
            flash("User details saved.", "success")
            return redirect(url_for("users.show_user", user_id=user.id))
    return render_template("users/form.html", form=form, user=user)


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def set_password(user_id: int):
    user = _get_user(user_id)
    form = SetPasswordForm(user=user)
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data, must_change=True)
        flash(f"Temporary password set. {user.full_name} must choose a new one at sign-in.", "success")
        return redirect(url_for("users.show_user", user_id=user.id))
    return render_template("users/password.html", form=form, user=user)


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def deactivate_user(user_id: int):
    user = _get_user(user_id)
    form = ConfirmForm()
    problem = None
    if user.id == current_user.id:
        problem = "You cannot deactivate your own account"
    elif not user.active:
        problem = "This account is already deactivated"
    elif user.has_role(Role.PREVENT_LEAD) and accounts.active_prevent_lead_count(excluding_user_id=user.id) == 0:
        problem = "You cannot deactivate the only active Prevent Lead"
    if problem is None and form.validate_on_submit():
        accounts.deactivate_user(user)
        flash(f"{user.full_name}'s account has been deactivated. Their records are kept.", "success")
        return redirect(url_for("users.show_user", user_id=user.id))
    return render_template("users/deactivate.html", form=form, user=user, problem=problem)


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def reactivate_user(user_id: int):
    user = _get_user(user_id)
    if user.personal_data_removed_on is not None:
        flash("This account's name and email were removed under retention: create a new account instead.", "error")
    elif ConfirmForm().validate_on_submit() and not user.active:
        accounts.reactivate_user(user)
        flash(f"{user.full_name}'s account is active again.", "success")
    return redirect(url_for("users.show_user", user_id=user.id))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def unlock_user(user_id: int):
    user = _get_user(user_id)
    if ConfirmForm().validate_on_submit() and user.is_locked():
        accounts.unlock_user(user)
        flash(f"{user.full_name}'s account is unlocked.", "success")
    return redirect(url_for("users.show_user", user_id=user.id))
