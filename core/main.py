"""The role-aware home page, built from the panels the domains register, and the health check."""

from flask import Blueprint, Flask, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from core.audit import AuditEntry, limit_to_reader_year, readable_entries, withheld_tables
from core.db import utcnow
from core.extensions import db
from core.models import SecurityEvent, User
from core.permissions import Permission, has_permission, public, requires
from core.registry import HomePanel, Parts, parts

bp = Blueprint("main", __name__)


def register(app: Flask, kernel_parts: Parts) -> None:
    app.register_blueprint(bp)
    kernel_parts.home_panels += [
        HomePanel("main/panel_users.html", _users_panel, order=40),
        HomePanel("main/panel_recent_changes.html", _recent_changes_panel, order=50),
    ]


def _users_panel(user) -> dict | None:
    if not has_permission(user, Permission.MANAGE_USERS):
        return None
    active, locked = db.session.execute(
        select(
            func.count().filter(User.active.is_(True)), func.count().filter(User.locked_until > utcnow())
        ).select_from(User)
    ).one()
    return {"active": active, "locked": locked}


def _recent_changes_panel(user) -> dict | None:
    if not has_permission(user, Permission.VIEW_AUDIT):
        return None
    # An auditor limited to one year sees that year's changes; values they may not read withheld.
    query = limit_to_reader_year(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(5), AuditEntry.at, user)
    return {
        "changes": list(readable_entries(db.session.scalars(query).all(), withheld_tables(user))),
        "alerts": db.session.scalar(
            select(func.count())
            .select_from(SecurityEvent)
            .where(SecurityEvent.kind.in_(["account_locked", "forbidden", "csrf_failed"]))
        ),
    }


@bp.route("/")
@requires(Permission.SIGNED_IN)
def home():
    panels = []
    for panel in parts().home_panels:
        values = panel.context(current_user)
        if values is not None:
            panels.append((panel.template, values))
    return render_template("main/home.html", roles=sorted(current_user.role_set), panels=panels)


@bp.route("/healthz")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
