"""The home page's board panels: for the Prevent Lead, the next board and what its pack still
lacks; for board members, the next meeting and its papers."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, select

from board import services as board
from board.models import AgendaItem, BoardMeeting, ItemKind, MeetingPaper
from core import clock
from core.extensions import db
from core.permissions import Permission, has_permission
from core.vocab import Role
from partnership.services import current_partnership
from plans import rules
from plans.models import Plan, PlanRow, PlanStatus

#: Agenda items the pack cannot fill from live data: each needs a paper attached.
ITEMS_NEEDING_PAPERS = (ItemKind.CTLP.value, ItemKind.CUSTOM.value)


@dataclass
class PackGaps:
    """What the next board's pack still lacks; each list empty when nothing is missing."""

    #: (plan id, plan title, rows not updated this quarter) for active area plans.
    stale_plans: list[tuple[int, str, int]] = field(default_factory=list)
    #: The previous meeting, when its minutes have not been written.
    minutes_missing: BoardMeeting | None = None
    #: Titles of agenda items that need a paper and have none.
    items_without_papers: list[str] = field(default_factory=list)
    #: The membership review, when it is due or overdue by the meeting.
    review: board.ReviewStatus | None = None

    @property
    def any(self) -> bool:
        return bool(self.stale_plans or self.minutes_missing or self.items_without_papers or self.review)


def pack_gaps(meeting: BoardMeeting, *, today: date) -> PackGaps:
    """What the meeting's pack still lacks: SPOC plans with rows not updated this quarter, the
    previous meeting's minutes, papers for items the pack cannot fill, the membership review.
    Five queries."""
    stale_plans = [
        (plan_id, title, int(n))
        for plan_id, title, n in db.session.execute(
            select(Plan.id, Plan.title, func.count())
            .join(PlanRow, PlanRow.plan_id == Plan.id)
            .where(
                Plan.status == PlanStatus.ACTIVE.value,
                Plan.area_id.is_not(None),
                rules.in_partnership(meeting.partnership_id),
                rules.stale(today),
            )
            .group_by(Plan.id, Plan.title)
            .order_by(Plan.title)
        )
    ]
    previous = board.previous_meeting(meeting)
    minutes_written = previous is not None and db.session.scalar(
        select(exists().where(AgendaItem.meeting_id == previous.id, AgendaItem.minutes != ""))
    )
    has_paper = exists().where(MeetingPaper.agenda_item_id == AgendaItem.id)
    without_papers = list(
        db.session.scalars(
            select(AgendaItem.title)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.kind.in_(ITEMS_NEEDING_PAPERS), ~has_paper)
            .order_by(AgendaItem.position)
        )
    )
    review = board.membership_review_status(meeting.partnership_id, meeting.held_on)
    return PackGaps(
        stale_plans=stale_plans,
        minutes_missing=previous if previous is not None and not minutes_written else None,
        items_without_papers=without_papers,
        review=review if review.flagged else None,
    )


def next_board_panel(user) -> dict | None:
    """For the Prevent Lead: the next board meeting and what its pack still lacks."""
    if not has_permission(user, Permission.MANAGE_BOARD):
        return None
    partnership = current_partnership()
    if partnership is None:
        return None
    today = clock.today()
    meeting = board.next_meeting(partnership.id, today)
    return {
        "meeting": meeting,
        "gaps": pack_gaps(meeting, today=today) if meeting else None,
        "stale_since": rules.stale_since(today),
    }


def board_papers_panel(user) -> dict | None:
    """For board members: the next meeting, its papers and the agenda and pack."""
    if not user.has_role(Role.BOARD_MEMBER) or not has_permission(user, Permission.VIEW_BOARD):
        return None
    partnership = current_partnership()
    if partnership is None:
        return None
    meeting = board.next_meeting(partnership.id, clock.today())
    papers = []
    if meeting is not None:
        papers = list(
            db.session.scalars(
                select(MeetingPaper).where(MeetingPaper.meeting_id == meeting.id).order_by(MeetingPaper.id)
            )
        )
    return {"meeting": meeting, "papers": papers}
