"""Every PDF the product makes, produced from the demo partnership as its pages produce them
(the functions the download routes call, with the arguments those routes pass). Each comes
with its title and protective marking as read off the demo data by hand."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from core import clock
from core.extensions import db


@dataclass(frozen=True)
class DemoDocument:
    name: str
    title: str
    marking: str
    render: Callable[[], bytes]


def _partnership_id() -> int:
    from partnership.models import Partnership

    return db.session.scalar(select(Partnership.id).order_by(Partnership.id).limit(1))


def _board(part: str) -> bytes:
    from board import pack
    from board import services as board

    meeting = board.next_meeting(_partnership_id(), clock.today())  # 4 December 2026
    if part == "minutes":
        meeting = board.previous_meeting(meeting)  # 20 September 2026
    return pack.render(meeting, part=part, today=clock.today())


def _channel_agenda() -> bytes:
    from channel_panel import meetings

    return meetings.agenda_pdf(meetings.next_meeting(clock.today()))  # 8 December 2026


def _plans() -> bytes:
    from plans import exports

    return exports.export_bytes(exports.find_plans(), "pdf", "OFFICIAL")  # DEFAULT_MARKING


def _coverage() -> bytes:
    from training import coverage, exports

    summary, trend = coverage.coverage_with_trend(as_of=clock.today())
    return exports.export_bytes(summary, trend, "pdf", "OFFICIAL")


def _compliance() -> bytes:
    from compliance.report import report_pdf

    return report_pdf(_partnership_id(), 2025)


def _region() -> bytes:
    from region import pack, services
    from region.rollups import regional_rollup

    coordinator = services.coordinator_by_email("priya.raman@region.example")  # granted the demo partnership
    return pack.render(regional_rollup(services.partnership_ids_granted(coordinator.id), today=clock.today()))


DOCUMENTS = [
    DemoDocument(
        "board_pack",
        "Board pack: Prevent Partnership Board, 4 December 2026",
        "OFFICIAL-SENSITIVE",
        lambda: _board("pack"),
    ),
    DemoDocument(
        "board_agenda",
        "Agenda: Prevent Partnership Board, 4 December 2026",
        "OFFICIAL-SENSITIVE",
        lambda: _board("agenda"),
    ),
    DemoDocument(
        "board_minutes",
        "Minutes: Prevent Partnership Board, 20 September 2026",
        "OFFICIAL-SENSITIVE",
        lambda: _board("minutes"),
    ),
    DemoDocument("channel_agenda", "Channel Panel agenda, 8 December 2026", "OFFICIAL-SENSITIVE", _channel_agenda),
    DemoDocument("plans", "Delivery plans, 16 November 2026", "OFFICIAL", _plans),
    DemoDocument("training_coverage", "WRAP training coverage as at 16 November 2026", "OFFICIAL", _coverage),
    DemoDocument("compliance_report", "Annual Prevent compliance report 2025", "OFFICIAL-SENSITIVE", _compliance),
    DemoDocument("region_pack", "Regional Prevent roll-up, 16 November 2026", "OFFICIAL", _region),
]
