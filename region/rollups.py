"""What the regional page and pack show: each granted partnership's roll-ups, counted in SQL.

Only counts leave this module: rows by RAG status and business area, overdue and stale rows
(plans.rules), WRAP coverage against each partnership's own target (training.coverage), and the
Channel figures as each partnership publishes them, with its own threshold (channel_panel.figures,
core.disclosure). No plan row, person or case is loaded. Every partnership is counted in the same
statements (grouped by partnership), so the number of statements does not grow with the number of
partnerships granted.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from channel_panel.figures import QuarterShown, published_window_by_partnership, window
from core import tenancy
from core.dates import Quarter
from core.extensions import db
from partnership.models import Partnership
from plans.services import PartnershipPlanRollup, rollup_by_partnership
from training.coverage import CoverageSummary, coverage_by_partnership

#: The Channel headline counts the regional view shows, in order (keys of channel_panel.figures.HEADLINE).
CHANNEL_MEASURES = (
    ("referrals", "Referrals"),
    ("discussed_at_panel", "Discussed at panel"),
    ("adopted", "Adopted"),
    ("closed", "Closed"),
    ("open_at_end", "Open at the end"),
)


@dataclass
class PartnershipRollup:
    partnership_id: int
    name: str
    plans: PartnershipPlanRollup
    coverage: CoverageSummary
    #: The Channel quarter's figures as the partnership publishes them (small counts hidden).
    channel: QuarterShown

    @property
    def channel_suppressed(self) -> bool:
        """Whether a Channel count shown here is hidden ([c])."""
        return any(self.channel[key].suppressed for key, _ in CHANNEL_MEASURES)


@dataclass
class RegionalRollup:
    today: date
    #: The Channel figures' quarter: the last one ended.
    quarter: Quarter
    partnerships: list[PartnershipRollup]

    @property
    def any_suppressed(self) -> bool:
        return any(p.channel_suppressed for p in self.partnerships)

    @property
    def footnotes(self) -> list[str]:
        """What [c] means, for each partnership whose figures here hide a count (each has its
        own threshold)."""
        return [f"{p.name}: {p.channel.footnote}" for p in self.partnerships if p.channel_suppressed]


def regional_rollup(partnership_ids: list[int], *, today: date) -> RegionalRollup:
    """The roll-ups of ``partnership_ids`` (those granted to the reader), by partnership name."""
    quarter = window(today)[1]
    if not partnership_ids:
        return RegionalRollup(today, quarter, [])
    with tenancy.scoped(partnership_ids):
        partnerships = db.session.execute(
            select(Partnership.id, Partnership.name, Partnership.disclosure_threshold).order_by(Partnership.name)
        ).all()
        plans = rollup_by_partnership(today=today)
        coverage = coverage_by_partnership(as_of=today)
        channel = published_window_by_partnership(today, {pid: threshold for pid, _, threshold in partnerships})
    return RegionalRollup(
        today,
        quarter,
        [
            PartnershipRollup(
                partnership_id=pid,
                name=name,
                plans=plans.get(pid) or PartnershipPlanRollup(),
                coverage=coverage[pid],
                channel=channel[pid][quarter.slug],
            )
            for pid, name, _ in partnerships
        ],
    )
