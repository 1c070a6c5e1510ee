"""The privacy sweep: a board member and an auditor (and the Prevent Lead, who is not on the
panel either) open everything they can reach in the demo partnership (every GET route in
``app.url_map`` with real ids, every file it answers with, every member of every ZIP) and must
find none of the Channel individuals' names, dates of birth, addresses or case references; the
board member none of the trained staff's names, emails or staff numbers either.

The forbidden strings are read from the demo data itself (the names in channel_panel/demo.py, the
rows its loaders wrote), by plain SQL, never through the code under test. Each date of birth is
looked for in every format the app prints a date in.
"""

import csv
import html
import io
import itertools
import zipfile
from datetime import date

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import text

from channel_panel.demo import DEMO_CASE_NAMES
from core.extensions import db
from core.vocab import Role
from partnership.demo import DEMO_LOGINS
from tests.conftest import csrf_token, sign_in
from tests.test_route_permissions import ALL, EXPECTED, PUBLIC

DEMO_PASSWORD = "Demo-Partnership-2026"
EMAILS = dict(DEMO_LOGINS)

#: Routes that are not the partnership's content.
NOT_CONTENT = {"static", "govuk_assets", "vendor", "main.health", "auth.logout"}
#: Single sign-on's redirects to and from an identity provider: none is configured for the demo,
#: and they show no records (tests/core/test_sso.py covers them).
NOT_CONTENT |= {"sso.start_sign_in", "sso.finish_sign_in"}

#: URL argument -> SQL giving real values from the demo. Arguments that belong together come from
#: one query. Every row is tried (not only the first), so each case, assessment and person is opened.
RECORD_IDS = {
    ("plan_id", "row_id", "file_id", "document_id"): (
        "SELECT r.plan_id, r.id, e.id, e.document_id FROM evidence_files e JOIN plan_rows r ON r.id = e.row_id "
        "ORDER BY e.id LIMIT 1"
    ),
    ("area_id",): "SELECT id FROM business_areas ORDER BY id",
    ("user_id",): "SELECT id FROM users ORDER BY id",
    ("organisation_id",): "SELECT id FROM organisations ORDER BY id",
    ("member_id",): "SELECT id FROM board_members ORDER BY id LIMIT 1",
    ("meeting_id", "item_id"): "SELECT meeting_id, min(id) FROM agenda_items GROUP BY meeting_id ORDER BY meeting_id",
    ("paper_id",): "SELECT id FROM meeting_papers ORDER BY id",
    ("action_id",): "SELECT id FROM board_actions ORDER BY id LIMIT 1",
    ("case_id", "support_item_id", "case_review_id"): (
        "SELECT s.case_id, min(s.id), min(r.id) FROM channel_support_items s "
        "JOIN channel_post_closure_reviews r ON r.case_id = s.case_id GROUP BY s.case_id ORDER BY s.case_id"
    ),
    ("panel_meeting_id",): "SELECT id FROM channel_panel_meetings ORDER BY held_on DESC LIMIT 3",
    ("panel_member_id",): "SELECT id FROM channel_panel_members ORDER BY id LIMIT 1",
    ("session_id",): "SELECT id FROM training_sessions ORDER BY id",
    ("headcount_id",): "SELECT id FROM training_headcounts ORDER BY id LIMIT 1",
    ("person_id",): "SELECT id FROM training_people ORDER BY id LIMIT 3",
    ("completion_id",): "SELECT id FROM training_completions ORDER BY id LIMIT 1",
    ("course_id",): "SELECT id FROM training_courses ORDER BY id",
    ("facilitator_id",): "SELECT id FROM training_facilitators ORDER BY id LIMIT 1",
    ("assessment_id", "expectation_id", "year"): (
        "SELECT a.id, min(e.id), a.year FROM compliance_assessments a "
        "JOIN compliance_expectations e ON e.assessment_id = a.id GROUP BY a.id, a.year ORDER BY a.id"
    ),
    ("finding_id",): "SELECT id FROM compliance_findings ORDER BY id",
    ("link_id",): "SELECT id FROM compliance_evidence_links ORDER BY id LIMIT 1",
}
#: Arguments that are not record ids, with every value worth opening.
FIXED_ARGS = {"part": ["agenda", "minutes", "pack"], "quarter": ["2026-q3", "2026-q4"], "fmt": ["pdf", "xlsx"]}
#: Reached only through an upload (the token is made by the upload itself).
NEEDS_UPLOAD = {"token"}
#: Routes whose record the demo does not have (it attaches no paper to a board meeting).
NO_DEMO_RECORD = {"board.download_paper"}
#: Query strings worth adding: the years of reports and figures a reader can choose.
EXTRA_URLS = [
    "/channel/figures?quarter=2026-q3",
    "/channel/figures?quarter=2026-q2",
    "/audit/export.csv?entity=channel_cases",
    "/audit/export.csv?entity=channel_anonymised_log",
    "/audit?entity=channel_cases",
    "/audit?entity=channel_anonymised_log",
    "/audit?entity=channel_post_closure_reviews",
]


def _date_forms(day: date) -> list[str]:
    """Every way the app prints a date (core/app.py filters and the strftime calls in the code)."""
    return [day.isoformat(), f"{day:%-d %B %Y}", f"{day:%d/%m/%Y}", f"{day:%-d %b %Y}"]


def forbidden_channel(app) -> dict[str, str]:
    """string -> what it is: the demo's Channel names, dates of birth, addresses and references."""
    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT c.reference, p.full_name, p.date_of_birth, p.address FROM channel_cases c "
                "JOIN channel_case_personal_details p ON p.case_id = c.id"
            )
        ).all()
    # The demo has twelve cases, each with personal details (channel_panel/demo.py).
    assert len(rows) == len(DEMO_CASE_NAMES) == 12
    found = {name: "Channel name" for name in DEMO_CASE_NAMES}
    for reference, full_name, born, address in rows:
        assert full_name in DEMO_CASE_NAMES
        found[reference] = "case reference"
        found[address] = "Channel address"
        born = born if isinstance(born, date) else date.fromisoformat(str(born))
        for form in _date_forms(born):
            found[form] = "Channel date of birth"
    return found


def forbidden_training(app) -> dict[str, str]:
    """The trained staff's names, emails and staff numbers (training/demo.py's register)."""
    with app.app_context():
        rows = db.session.execute(text("SELECT name, email, staff_number FROM training_people")).all()
    assert len(rows) > 300  # "a few hundred fictional staff"
    found = {}
    for name, email, staff_number in rows:
        found[name] = "trained person's name"
        if email:
            found[email] = "trained person's email"
        if staff_number:
            found[staff_number] = "trained person's staff number"
    return found


def record_values(app) -> dict[str, list]:
    values: dict[str, list] = {k: list(v) for k, v in FIXED_ARGS.items()}
    with app.app_context():
        for names, sql in RECORD_IDS.items():
            for row in db.session.execute(text(sql)).all():
                for name, value in zip(names, row, strict=True):
                    values.setdefault(name, [])
                    if value not in values[name]:
                        values[name].append(value)
    return values


def reachable_urls(app, role: Role, values: dict[str, list]) -> list[str]:
    """Every GET URL the role may open: each route with every real value of its arguments."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_CONTENT:
            continue
        allowed = EXPECTED[rule.endpoint]
        if allowed != PUBLIC and allowed != ALL and role not in allowed:
            continue
        args = set(rule.arguments) - NEEDS_UPLOAD
        if args != set(rule.arguments):
            continue
        known = {n for names in RECORD_IDS for n in names} | set(FIXED_ARGS)
        assert args <= known, f"{rule.endpoint}: add where to find {sorted(args - known)} to RECORD_IDS"
        if not args <= set(values):
            assert rule.endpoint in NO_DEMO_RECORD, f"{rule.endpoint}: the demo has no {sorted(args - set(values))}"
            continue
        groups = [[n for n in names if n in args] for names in RECORD_IDS if set(names) & args]
        groups += [[k] for k in FIXED_ARGS if k in args]
        # Each group's rows in turn, every combination across groups (a report in each format
        # for each assessment, each part of each meeting).
        choices = [
            [
                {n: values[n][min(i, len(values[n]) - 1)] for n in group}
                for i in range(max(len(values[n]) for n in group))
            ]
            for group in groups
        ]
        for combination in itertools.product(*choices):
            chosen = {}
            for part in combination:
                chosen |= part
            urls.add(rule.build(chosen, append_unknown=False)[1])
    return sorted(urls | set(EXTRA_URLS))


def texts_of(name: str, data: bytes, content_type: str = "") -> list[tuple[str, str]]:
    """(where, text) for a response body or a file: HTML and CSV as text, PDF through pypdf,
    XLSX through openpyxl, ZIP member by member (recursively)."""
    lower = name.lower().split("?")[0]
    if data[:4] == b"PK\x03\x04" and (lower.endswith(".zip") or "zip" in content_type):
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                out += texts_of(f"{name}!{member}", archive.read(member))
        return out
    if data[:4] == b"%PDF":
        reader = PdfReader(io.BytesIO(data))
        return [(name, "\n".join(page.extract_text() or "" for page in reader.pages))]
    if data[:4] == b"PK\x03\x04":  # XLSX
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells += [str(v) for v in row if v is not None]
        return [(name, "\n".join(cells))]
    body = data.decode("utf-8", errors="replace")
    if lower.endswith(".csv") or "text/csv" in content_type:
        return [(name, "\n".join(",".join(r) for r in csv.reader(io.StringIO(body))))]
    return [(name, html.unescape(body))]


def start_this_years_assessment(app) -> None:
    """The Prevent Lead starts this year's self-assessment (the demo has last year's only), so the
    sweep also opens a report and a bundle whose year holds the demo's Channel reviews and its
    change log (the demo's records were written "today", 16 November 2026)."""
    client = app.test_client()
    assert sign_in(client, EMAILS[Role.PREVENT_LEAD], DEMO_PASSWORD).status_code == 302
    token = csrf_token(client.get("/compliance").get_data(as_text=True))
    response = client.post("/compliance/start", data={"csrf_token": token, "year": "2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def sweep(app, role: Role, forbidden: dict[str, str]) -> tuple[list[str], int]:
    """What each reachable URL gave away, and how many URLs answered 200."""
    client = app.test_client()
    assert sign_in(client, EMAILS[role], DEMO_PASSWORD).status_code == 302
    findings, opened = [], 0
    for url in reachable_urls(app, role, record_values(app)):
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code in (302, 400, 403, 404), f"{url}: {response.status_code}"
            continue
        opened += 1
        for where, body in texts_of(url, response.get_data(), response.content_type or ""):
            for needle, what in forbidden.items():
                if needle in body:
                    findings.append(f"{where}: {what} {needle!r}")
    return findings, opened


def _report(findings: list[str]) -> str:
    """Leaks counted by where and what, then the first few in full."""
    from collections import Counter

    shown = sorted(set(findings))
    by_place = Counter(f.split(": ")[0] + ": " + f.split(": ", 1)[1].rsplit(" '", 1)[0] for f in shown)
    summary = "\n".join(f"{n:5} x {key}" for key, n in sorted(by_place.items()))
    return f"{len(shown)} leaks:\n{summary}\ne.g.:\n" + "\n".join(shown[:20])


@pytest.mark.parametrize("role", [Role.BOARD_MEMBER, Role.AUDITOR], ids=lambda r: r.value)
def test_nothing_names_a_channel_individual(app, demo, role):
    forbidden = forbidden_channel(app)
    if role is Role.BOARD_MEMBER:
        forbidden |= forbidden_training(app)
    start_this_years_assessment(app)
    findings, opened = sweep(app, role, forbidden)
    # Each reader opens dozens of pages and files (not a sweep that found nothing to read).
    assert opened > 40
    assert not findings, _report(findings)


def test_the_prevent_lead_sees_no_channel_individual_or_case_reference(app, demo):
    """The Prevent Lead keeps the anonymised log and reads the reminder log and the audit trail,
    but is not on the panel: no name, date of birth, address or case reference either."""
    start_this_years_assessment(app)
    findings, opened = sweep(app, Role.PREVENT_LEAD, forbidden_channel(app))
    assert opened > 40
    assert not findings, _report(findings)


def test_the_sweep_finds_what_is_there(app, demo):
    """The sweep itself can see a leak: the panel chair, who may read names, finds them."""
    client = app.test_client()
    assert sign_in(client, EMAILS[Role.PANEL_CHAIR], DEMO_PASSWORD).status_code == 302
    forbidden = forbidden_channel(app)
    with app.app_context():
        case_id = db.session.scalar(text("SELECT min(case_id) FROM channel_case_personal_details"))
    response = client.get(f"/channel/cases/{case_id}/personal")
    assert response.status_code == 200
    seen = {what for _, body in texts_of("personal", response.get_data()) for n, what in forbidden.items() if n in body}
    assert {"case reference", "Channel name", "Channel date of birth", "Channel address"} <= seen
