"""The board meeting page's summary: the previous meeting as a link (not its markup as text), and
the video-call address as a link only when it is a web address."""

import re
from datetime import date

from board.models import BoardMeeting
from core.extensions import db
from core.vocab import Role
from partnership.models import Partnership
from tests.factories import schedule_board_meetings


def _two_meetings(app, world, *, link: str) -> tuple[int, int]:
    with app.app_context():
        partnership = db.session.get(Partnership, world.partnership_id)
        first, second = schedule_board_meetings(partnership, date(2026, 12, 1), count=2, today=date(2026, 11, 16))
        db.session.get(BoardMeeting, second.id).link = link
        db.session.commit()
        return first.id, second.id


def _summary_value(html: str, key: str) -> str:
    match = re.search(rf"<dt[^>]*>\s*{key}\s*</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    assert match, f"no {key!r} row"
    return match.group(1).strip()


def test_previous_meeting_is_a_link_not_markup_shown_as_text(app, client, world, login_as):
    first_id, second_id = _two_meetings(app, world, link="")
    login_as(Role.BOARD_MEMBER)
    html = client.get(f"/board/meetings/{second_id}").get_data(as_text=True)
    value = _summary_value(html, "Previous meeting")
    assert value == (
        f'<a class="govuk-link" href="/board/meetings/{first_id}">Prevent Partnership Board, 1 December 2026</a>'
    )
    assert "&lt;a" not in html
    assert _summary_value(html, "Video call") == "None"


def test_a_web_address_for_the_video_call_is_a_link(app, client, world, login_as):
    _, second_id = _two_meetings(app, world, link="https://meet.example.org/board?id=7&pw=x")
    login_as(Role.BOARD_MEMBER)
    html = client.get(f"/board/meetings/{second_id}").get_data(as_text=True)
    assert _summary_value(html, "Video call") == (
        '<a class="govuk-link" href="https://meet.example.org/board?id=7&amp;pw=x" rel="noreferrer noopener">'
        "https://meet.example.org/board?id=7&amp;pw=x</a>"
    )


def test_any_other_video_call_address_is_text(app, client, world, login_as):
    _, second_id = _two_meetings(app, world, link="javascript:alert(1)")
    login_as(Role.BOARD_MEMBER)
    html = client.get(f"/board/meetings/{second_id}").get_data(as_text=True)
    assert _summary_value(html, "Video call") == "javascript:alert(1)"
