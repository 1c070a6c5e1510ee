"""Who reads what of the Channel Panel, on the demo partnership: the board the quarter's figures
only; auditors the counts and the fact that the anonymised log is kept (its size, not its rows);
the Prevent Lead the counts and the log itself.

Expected figures from channel_panel/demo.py: twelve cases, so twelve log entries; the oldest
concern was reported 74 months before 16 November 2026 (September 2020); no case material has
been deleted (the demo's retention run deleted nothing)."""

import pytest

from core.demo import DEMO_PASSWORD
from tests.conftest import sign_in

BOARD = "margaret.hughes@peterborough.example"
AUDITOR = "owen.pritchard@audit.example"
LEAD = "helen.marsh@cambridgeshire.example"
CHAIR = "joanna.price@peterborough.example"
LOG_EXTENT = (
    '<dt class="govuk-summary-list__key">Entries</dt><dd class="govuk-summary-list__value">12</dd></div> '
    '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Kept since</dt>'
    '<dd class="govuk-summary-list__value">2020</dd></div> <div class="govuk-summary-list__row">'
    '<dt class="govuk-summary-list__key">Entries whose case material has been deleted</dt>'
    '<dd class="govuk-summary-list__value">0</dd>'
)


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, DEMO_PASSWORD).status_code == 302
    return client


def test_the_board_is_pointed_to_the_figures_and_sees_no_count_or_log(app, demo):
    client = _client(app, BOARD)
    home = client.get("/channel").get_data(as_text=True)
    assert 'href="/channel/figures"' in home
    assert "Open cases" not in home and "Post-closure reviews" not in home and "Next meeting" not in home
    assert "/channel/log" not in home
    assert client.get("/channel/log").status_code == 403
    assert client.get("/channel/log.csv").status_code == 403
    assert "/channel/log" not in client.get("/channel/figures").get_data(as_text=True)


def test_an_auditor_sees_the_counts_and_that_the_log_is_kept_not_its_rows(app, demo):
    client = _client(app, AUDITOR)
    home = " ".join(client.get("/channel").get_data(as_text=True).split())
    assert "Open cases" in home and LOG_EXTENT in home
    assert "read by the Prevent Lead and the panel" in home
    assert 'href="/channel/log"' not in home
    assert client.get("/channel/log").status_code == 403
    assert client.get("/channel/log.csv").status_code == 403


@pytest.mark.parametrize("email", [LEAD, CHAIR])
def test_the_lead_and_the_panel_read_the_log(app, demo, email):
    client = _client(app, email)
    home = " ".join(client.get("/channel").get_data(as_text=True).split())
    assert LOG_EXTENT in home and 'href="/channel/log"' in home
    log = client.get("/channel/log.csv")
    assert log.status_code == 200
    assert len(log.get_data(as_text=True).strip().splitlines()) == 1 + 12
