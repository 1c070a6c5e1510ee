"""The home page's training panel for the training coordinator: organisations below the coverage
target and refresher training falling due."""

from datetime import timedelta

from core import clock
from core.permissions import Permission, has_permission
from core.vocab import Rag, Role
from training import coverage

#: At most this many organisations below target are listed; the rest are counted.
LIMIT = 10


def training_panel(user) -> dict | None:
    """Coverage today: organisations below target (lowest first), those with no headcount, and
    how many people's training expires within coverage.DUE_WITHIN_DAYS. Five queries."""
    if not user.has_role(Role.TRAINING_COORDINATOR) or not has_permission(user, Permission.MANAGE_TRAINING):
        return None
    today = clock.today()
    summary = coverage.coverage_summary(as_of=today)
    below = sorted(
        (r for r in summary.rows if r.rag in (Rag.RED, Rag.AMBER)),
        key=lambda r: (r.percent, r.name),
    )
    return {
        "summary": summary,
        "below": below[:LIMIT],
        "below_total": len(below),
        "without_headcount": summary.without_headcount,
        "due": sum(r.due_soon for r in summary.rows),
        "due_within": coverage.DUE_WITHIN_DAYS,
        "due_until": today + timedelta(days=coverage.DUE_WITHIN_DAYS),
    }
