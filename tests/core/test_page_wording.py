"""Wording a person reads: a bad date repeats what they typed; one security alert is "1 alert";
the column headings form names each column in words."""

import re

from core.extensions import db
from core.forms import bad_date_message
from core.models import SecurityEvent
from core.vocab import Role


def test_a_bad_date_message_quotes_what_was_typed():
    assert bad_date_message("Due date", ["31", "2", "2026"]) == (
        "Due date must be a real date, like 31 3 2026; you entered “31 2 2026”"
    )
    assert bad_date_message("Due date", ["", "13", "2026"]) == (
        "Due date must be a real date, like 31 3 2026; you entered “? 13 2026”"
    )
    assert bad_date_message("Due date", ["1" * 60]).endswith("you entered “" + "1" * 39 + "…”")


def test_the_day_month_year_boxes_repeat_the_bad_date_on_the_page(client, world, login_as):
    login_as(Role.TRAINING_COORDINATOR)
    html = client.get("/training", query_string={"as_of": ["31", "2", "2026"]}).get_data(as_text=True)
    assert "Coverage on must be a real date, like 31 3 2026; you entered “31 2 2026”" in html
    link = client.get("/training?as_of=yesterday").get_data(as_text=True)
    assert "Coverage on must be a real date, like 31 3 2026; you entered “yesterday”" in link


def _alert_link(html: str) -> str:
    return re.search(r">(Security events[^<]*)</a>", html).group(1)


def test_one_security_alert_is_one_alert(app, client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    assert _alert_link(client.get("/").get_data(as_text=True)) == "Security events"
    with app.app_context():
        db.session.add(SecurityEvent(kind="forbidden", detail="GET /users"))
        db.session.commit()
    assert _alert_link(client.get("/").get_data(as_text=True)) == "Security events (1 alert)"
    with app.app_context():
        db.session.add(SecurityEvent(kind="account_locked", detail="x"))
        db.session.commit()
    assert _alert_link(client.get("/").get_data(as_text=True)) == "Security events (2 alerts)"


def test_column_heading_boxes_are_labelled_in_words(client, world, login_as):
    login_as(Role.SPOC)
    html = client.get(f"/plans/{world.plan_id}/columns").get_data(as_text=True)
    labels = [
        " ".join(label.split()) for label in re.findall(r'<label class="govuk-label"[^>]*>(.*?)</label>', html, re.S)
    ]
    assert "Heading for the RAG status column" in labels
    assert "Heading for the reference number column" in labels
    assert "Heading for the due date column" in labels
    assert not [label for label in labels if "rag" in label]
