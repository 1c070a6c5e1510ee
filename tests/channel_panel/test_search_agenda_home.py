"""A reference search finds closed cases too and says what it searched; the agenda's reviews-due
table gives each case's closure date; the panel's home panel lists the reviews due before the next
meeting, one click from recording each."""

import io
import re

from pypdf import PdfReader

from core.vocab import Role
from tests.conftest import sign_in

# The channel fixture (conftest): today 16 November 2026; a case closed 7 months before, on
# 16 April 2026, its 6-month review due 16 October 2026 (overdue) and its 12-month review due
# 16 April 2027; an adopted open case; a panel meeting on 23 November 2026.


def test_searching_a_closed_cases_reference_finds_it_and_says_open_and_closed_were_searched(client, login_as, channel):
    login_as(Role.PANEL_MEMBER)
    html = client.get(f"/channel/cases?q={channel.closed_reference}").get_data(as_text=True)
    assert f">{channel.closed_reference}</a>" in html
    assert f"1 case with a reference containing “{channel.closed_reference}”, searching open and closed cases." in html
    assert "No cases match" not in html
    nothing = client.get("/channel/cases?q=CP-1999").get_data(as_text=True)
    assert "No cases with a reference containing “CP-1999”, searching open and closed cases." in nothing
    # Without a search the list still starts with the open cases only.
    listing = client.get("/channel/cases").get_data(as_text=True)
    assert channel.closed_reference not in listing and channel.open_reference in listing


def test_a_chosen_stage_still_limits_a_search(client, login_as, channel):
    login_as(Role.PANEL_MEMBER)
    html = client.get(f"/channel/cases?stage=adopted&q={channel.closed_reference}").get_data(as_text=True)
    assert (
        f"No cases with a reference containing “{channel.closed_reference}”, searching cases at the adopted stage."
        in html
    )


def test_the_agenda_reviews_table_gives_the_closure_date(client, login_as, channel):
    login_as(Role.PANEL_CHAIR)
    html = client.get(f"/channel/meetings/{channel.meeting_id}").get_data(as_text=True)
    table = html.split("Reviews due on or before")[1].split("</table>")[0]
    assert "Closed on</th>" in table
    row = re.search(rf"{channel.closed_reference}</a></th>(.*?)</tr>", table, re.S).group(1)
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[:3] == ["16 April 2026", "6-month review", "16 October 2026"]
    pdf = client.get(f"/channel/meetings/{channel.meeting_id}/agenda.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Closed on" in text
    assert re.search(rf"{channel.closed_reference}\s+16 April 2026\s+6-month review\s+16 October 2026", text), text


def test_the_chairs_home_page_lists_reviews_due_before_the_next_panel(app, client, login_as, world, channel):
    login_as(Role.PANEL_CHAIR)
    html = client.get("/").get_data(as_text=True)
    panel = html.split('id="next-panel"')[1].split("</section>")[0]
    assert "Panel meeting on 23 November 2026" in panel
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", panel, re.S)
    assert len(rows) == 2  # the header and the one review due by 23 November (the 12-month is April 2027)
    assert channel.closed_reference in rows[1] and "6-month" in rows[1] and "16 October 2026" in rows[1]
    assert f'href="/channel/cases/{channel.closed_id}/reviews/{channel.review_id}">Record' in rows[1]
    # A member sees the same reviews but cannot record them.
    member_client = app.test_client()
    sign_in(member_client, world.users[Role.PANEL_MEMBER].email)
    member = member_client.get("/").get_data(as_text=True).split('id="next-panel"')[1].split("</section>")[0]
    assert channel.closed_reference in member and "/reviews/" not in member


def test_a_panel_without_a_meeting_or_reviews_says_so(client, login_as, world):
    login_as(Role.PANEL_CHAIR)
    panel = client.get("/").get_data(as_text=True).split('id="next-panel"')[1].split("</section>")[0]
    assert "No panel meeting is scheduled." in panel and 'href="/channel/meetings/new"' in panel
    assert "No post-closure review falls due by 16 December 2026." in panel
