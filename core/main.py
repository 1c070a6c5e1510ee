"""The role-aware home page and the health check."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from core.audit import AuditEntry
from core.db import utcnow
from core.extensions import db
from core.models import SecurityEvent, User
from core.permissions import Permission, has_permission, public, requires
from core.vocab import Role
from partnership.models import Organisation
from spoc.models import BusinessArea, SpocAssignment

bp = Blueprint("main", __name__)


@bp.route("/")
@requires(Permission.SIGNED_IN)
def home():
    from partnership.compliance.services import findings_awaiting_response

    context: dict = {"roles": sorted(current_user.role_set)}
    context["findings_to_answer"] = findings_awaiting_response(current_user.id)
    if has_permission(current_user, Permission.VIEW_PARTNERSHIP):
        context["counts"] = {
            "organisations": db.session.scalar(
                select(func.count()).select_from(Organisation).where(Organisation.active.is_(True))
            ),
            "areas": db.session.scalar(select(func.count()).select_from(BusinessArea)),
        }
    if current_user.has_role(Role.SPOC):
        context["my_areas"] = db.session.execute(
            select(BusinessArea.id, BusinessArea.name, SpocAssignment.capacity)
            .join(SpocAssignment)
            .where(SpocAssignment.user_id == current_user.id)
            .order_by(BusinessArea.name)
        ).all()
    if has_permission(current_user, Permission.MANAGE_USERS):
        context["user_counts"] = db.session.execute(
            select(
                func.count().filter(User.active.is_(True)),
                func.count().filter(User.locked_until > utcnow()),
            ).select_from(User)
        ).one()
    if has_permission(current_user, Permission.VIEW_AUDIT):
        context["recent_changes"] = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(5)).all()
        context["recent_alerts"] = db.session.scalar(
            select(func.count())
            .select_from(SecurityEvent)
            .where(SecurityEvent.kind.in_(["account_locked", "forbidden", "csrf_failed"]))
        )
    return render_template("main/home.html", **context)


@bp.route("/healthz")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
