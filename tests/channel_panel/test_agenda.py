"""The printed agenda: standing items, post-closure reviews due, the marking on every page, no names."""

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader

from channel_panel import meetings, services
from channel_panel.dates import add_months
from core.extensions import db
from tests.channel_panel.factories import SECRET_ADDRESS, SECRET_NAMES, PanelMeetingFactory, closed_case, new_case

TODAY = date(2026, 11, 20)


def pages_of(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_agenda_lists_reviews_due_by_reference_kind_due_date_and_days_overdue(app):
    with app.test_request_context():
        previous = PanelMeetingFactory(held_on=date(2026, 2, 10))
        meeting = PanelMeetingFactory(held_on=date(2026, 3, 10), place="Sand Martin House")
        PanelMeetingFactory(held_on=date(2026, 4, 14))
        # 6-month review due 28 February 2026 (closed 31 August 2025): 10 days overdue on 10 March.
        closed_case(closed_on=date(2025, 8, 31), reference="CP-2025-031", name=SECRET_NAMES[0])
        # 12-month review due on the meeting day itself (closed 10 March 2025).
        on_the_day = closed_case(closed_on=date(2025, 3, 10), reference="CP-2025-007", name=SECRET_NAMES[1])
        services.record_review(
            next(r for r in on_the_day.reviews if r.months == 6),
            held_on=date(2025, 9, 10),
            outcome="no_further_concerns",
            today=TODAY,
        )
        # Held before the meeting: not listed.
        held = closed_case(closed_on=date(2025, 7, 15), reference="CP-2025-020")
        services.record_review(
            next(r for r in held.reviews if r.months == 6), held_on=date(2026, 1, 20), outcome="other", today=TODAY
        )
        # A new referral since the last meeting, with personal details.
        new_case(
            reference="CP-2026-009",
            concern_reported_on=date(2026, 2, 20),
            referral_date=date(2026, 2, 24),
            name="Marigold Notshown",
        )
        db.session.flush()

        agenda = meetings.build_agenda(meeting)
        pdf = meetings.agenda_pdf(meeting)

    assert agenda.previous.id == previous.id
    assert [c.reference for c in agenda.new_referrals] == ["CP-2026-009"]
    pages = pages_of(pdf)
    text = " ".join(pages)
    assert "Channel Panel agenda 10 March 2026" in text and "Sand Martin House" in text
    assert "New referrals since 10 February 2026" in text and "CP-2026-009" in text
    assert "Post-closure reviews due" in text
    reviews = text[text.index("Post-closure reviews due") :]
    # Each with the day its case closed, which the review dates count from.
    assert re.search(r"CP-2025-031\s*31 August 2025\s*6-month review\s*28 February 2026 10\b", reviews)
    assert re.search(r"CP-2025-007\s*10 March 2025\s*12-month review\s*10 March 2026 0\b", reviews)
    assert "CP-2025-020" not in reviews
    assert "Date of the next meeting 14 April 2026" in text
    for page in pages:
        assert page.count("OFFICIAL-SENSITIVE") >= 2  # top and bottom of every page
    for secret in [*SECRET_NAMES, SECRET_ADDRESS, "Zephyr", "Marigold"]:
        assert secret not in text


def test_a_long_agenda_carries_the_marking_on_every_page(app):
    with app.test_request_context():
        meeting = PanelMeetingFactory(held_on=date(2026, 11, 17))
        for n in range(70):
            reported = date(2026, 1, 1) + timedelta(days=n * 4)
            new_case(
                concern_reported_on=reported,
                referral_date=reported + timedelta(days=1),
                name=f"{SECRET_NAMES[0]} {n}",
            )
        for n in range(12):
            closed_case(closed_on=add_months(date(2025, 3, 3), n))
        db.session.flush()
        pdf = meetings.agenda_pdf(meeting)
    pages = pages_of(pdf)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "OFFICIAL-SENSITIVE" in page, number
        assert f"Page {number} of {len(pages)}" in page
        assert SECRET_NAMES[0] not in page


def test_the_agenda_button_serves_the_pdf_to_the_panel(client, login_as, channel):
    from core.vocab import Role

    login_as(Role.PANEL_MEMBER)
    response = client.get(f"/channel/meetings/{channel.meeting_id}/agenda.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = " ".join(pages_of(response.data))
    assert channel.closed_reference in text and "6-month review" in text
    assert SECRET_NAMES[0] not in text and SECRET_NAMES[1] not in text
