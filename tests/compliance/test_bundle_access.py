"""The evidence bundle and the audit trail follow the same reading rules as the pages.

- A board member's bundle holds the report alone (no evidence files, no change log).
- The change log (bundle, audit page, export) shows auditors that Channel case material and the
  anonymised log changed, when and by whom, with the values and labels withheld; the Prevent Lead
  reads them. Other records read the same for both.
- An auditor limited to one year reads that year's entries and security events only, whatever
  dates they ask for.

The trail is written directly here, as entries dated in 2024, 2025 and 2026, so each expected
row is known by hand.
"""

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from compliance import services
from core.audit import AuditEntry
from core.extensions import db
from core.models import SecurityEvent, User
from core.vocab import Role
from tests.conftest import sign_in


def _entry(entity: str, entity_id: int, at: datetime, label: str, changes: dict) -> AuditEntry:
    return AuditEntry(
        at=at, actor_label="chair@council.example", action="update", entity=entity, entity_id=entity_id,
        label=label, changes=changes,
    )  # fmt: skip


@pytest.fixture
def trail(app, world):
    """A 2025 self-assessment, and five audit entries: a Channel case and an anonymised log entry
    changed in 2025, an organisation renamed in 2024, 2025 and 2026; two sign-in events."""
    with app.app_context():
        assessment = services.open_assessment(partnership_id=world.partnership_id, year=2025, today=date(2026, 2, 1))
        db.session.add_all(
            [
                _entry(
                    "channel_cases", 901, datetime(2025, 3, 4, 9, 0, tzinfo=UTC), "closed",
                    {"department": [None, "Year 9"], "closed_on": ["2025-01-02", "2025-03-04"]},
                ),
                _entry(
                    "channel_anonymised_log", 902, datetime(2025, 3, 4, 9, 5, tzinfo=UTC), "2024-11-20",
                    {"concern_reported_on": [None, "2024-11-20"]},
                ),
                _entry("organisations", 903, datetime(2024, 6, 1, 9, 0, tzinfo=UTC), "Old Name 2024",
                       {"name": ["Older", "Old Name 2024"]}),
                _entry("organisations", 903, datetime(2025, 6, 1, 9, 0, tzinfo=UTC), "Name In 2025",
                       {"name": ["Old Name 2024", "Name In 2025"]}),
                _entry("organisations", 903, datetime(2026, 6, 1, 9, 0, tzinfo=UTC), "Name In 2026",
                       {"name": ["Name In 2025", "Name In 2026"]}),
                SecurityEvent(at=datetime(2024, 5, 1, 8, tzinfo=UTC), kind="login", email="early.bird@council.example"),
                SecurityEvent(at=datetime(2025, 5, 1, 8, tzinfo=UTC), kind="login", email="in.year@council.example"),
            ]
        )  # fmt: skip
        db.session.commit()
        return assessment.id


def _client(app, world, role: Role, *, audit_year: int | None = None):
    if audit_year is not None:
        with app.app_context():
            db.session.get(User, world.users[role].id).audit_year = audit_year
            db.session.commit()
    client = app.test_client()
    assert sign_in(client, world.users[role].email).status_code == 302
    return client


def _bundle(client, assessment_id: int) -> zipfile.ZipFile:
    response = client.get(f"/compliance/{assessment_id}/bundle.zip")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data))


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))[1:]


def _by_record(rows: list[list[str]]) -> dict[tuple[str, str, str], tuple[str, str, str]]:
    """(record type, record number, field) -> (label, before, after) from the trail's CSV columns."""
    return {(r[4], r[5], r[7]): (r[6], r[8], r[9]) for r in rows if r[5] in {"901", "902", "903"}}


def test_a_board_members_bundle_holds_the_report_alone(app, world, trail):
    client = _client(app, world, Role.BOARD_MEMBER)
    assert _bundle(client, trail).namelist() == ["compliance-report-2025.pdf"]
    page = client.get(f"/compliance/{trail}").get_data(as_text=True)
    assert "Your evidence bundle holds the report alone" in page


def test_the_auditors_change_log_withholds_channel_values_the_leads_shows_them(app, world, trail):
    auditor = _by_record(_rows(_bundle(_client(app, world, Role.AUDITOR), trail).read("change-log-2025.csv").decode()))
    assert auditor == {
        ("channel_cases", "901", "closed_on"): ("[withheld]", "[withheld]", "[withheld]"),
        ("channel_cases", "901", "department"): ("[withheld]", "", "[withheld]"),
        ("channel_anonymised_log", "902", "concern_reported_on"): ("[withheld]", "", "[withheld]"),
        ("organisations", "903", "name"): ("Name In 2025", "Old Name 2024", "Name In 2025"),
    }
    lead = _by_record(
        _rows(_bundle(_client(app, world, Role.PREVENT_LEAD), trail).read("change-log-2025.csv").decode())
    )
    assert lead[("channel_cases", "901", "department")] == ("closed", "", "Year 9")
    assert lead[("channel_anonymised_log", "902", "concern_reported_on")] == ("2024-11-20", "", "2024-11-20")


def test_the_audit_page_and_export_withhold_the_same_for_an_auditor(app, world, trail):
    client = _client(app, world, Role.AUDITOR)
    page = client.get("/audit?entity=channel_cases").get_data(as_text=True)
    assert "channel cases #901" in page and "[withheld]" in page and "Year 9" not in page
    rows = _rows(client.get("/audit/export.csv").get_data(as_text=True))
    export = _by_record(rows)
    assert export[("channel_cases", "901", "department")] == ("[withheld]", "", "[withheld]")
    # With no year limit, every year's entries (the 2024, 2025 and 2026 renamings).
    assert {r[9] for r in rows if r[5] == "903"} == {"Old Name 2024", "Name In 2025", "Name In 2026"}
    home = client.get("/").get_data(as_text=True)
    assert "Year 9" not in home


def test_a_year_limited_auditor_reads_that_years_trail_and_events_only(app, world, trail):
    client = _client(app, world, Role.AUDITOR, audit_year=2025)
    # Whatever dates are asked for, the 2024 and 2026 renamings stay out.
    wide = "date_from=1&date_from=1&date_from=2020&date_to=31&date_to=12&date_to=2030"
    for url in ["/audit/export.csv", f"/audit/export.csv?{wide}"]:
        names = {
            v for k, v in _by_record(_rows(client.get(url).get_data(as_text=True))).items() if k[0] == "organisations"
        }
        assert names == {("Name In 2025", "Old Name 2024", "Name In 2025")}, url
    page = client.get("/audit").get_data(as_text=True)
    assert "Name In 2025" in page and "Name In 2026" not in page and "Older" not in page
    assert "Your access is limited to 2025" in page
    events = client.get("/audit/security").get_data(as_text=True)
    assert "in.year@council.example" in events and "early.bird@council.example" not in events
    home = client.get("/").get_data(as_text=True)
    assert "Name In 2026" not in home
