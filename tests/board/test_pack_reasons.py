"""Amber and Red rows reach the board pack with their latest progress and the reason the SPOC
gave for the status (before, only Red rows showed a reason)."""

import io

import pytest
from pypdf import PdfReader

from board import pack
from board import services as board
from core import clock


@pytest.fixture
def demo(demo, ctx):
    """The demo partnership, with an app context for the test."""


def test_amber_and_red_reasons_are_in_the_pack(demo):
    meeting = board.next_meeting(1, clock.today())
    reader = PdfReader(io.BytesIO(pack.render(meeting, part="pack", today=clock.today())))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())

    # plans/demo.py, counted back from 16 November 2026: Children's social care went Amber 20
    # days before (27 October), 10 days past its due date; the county plan's row 9 went Amber
    # 18 days before (29 October); Health's row went Red 25 days before (22 October).
    assert (
        "Train frontline social workers in WRAP — Amber, overdue (27 October 2026): One session cancelled · "
        "Reason: Trainer unavailable in October" in text
    )
    assert (
        "— Amber (29 October 2026): WRAP coverage across the partnership is 86% · "
        "Reason: Coverage is below the 90% target in three organisations" in text
    )
    assert "Reason: Two providers have not returned training data" in text
