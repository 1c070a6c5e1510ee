"""Hostile input: every form and every import gets arbitrary text, unicode, markup, formula payloads and
huge values. The app must answer below 500, show what it stores as text (never as live markup), and
neutralise formulas in what it exports.

The forms are found by walking app.url_map for POST endpoints, so a new form is covered without
editing this file. HOSTILE_EXAMPLES sets how many generated posts each form gets (default 8).
"""

import csv
import io
import os
import re
import zipfile
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from core.app import create_app
from core.spreadsheets import csv_text, xlsx_bytes
from core.vocab import Role
from tests.conftest import sign_in
from tests.test_route_permissions import (
    EXPECTED,
    PUBLIC,
    _url_args,
    all_records,
    training_records,
)

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "8"))
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: A payload that would run if any page put it out as markup.
SCRIPT = '<script>alert("hostile-9")</script>'
PAYLOADS = [
    SCRIPT,
    '"><img src=x onerror=alert("hostile-9")>',
    "javascript:alert(1)",
    '=HYPERLINK("http://evil.example","x")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "' OR 1=1 --",
    "../../../etc/passwd",
    "\u202eevil\u202c",
    "\x00nul",
    "Zoë Ødegård 李 🙂",
    "9" * 40,
    "-1",
    "2026-02-30",
    "",
    " ",
]
HUGE = "A" * 200_000
hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.just(HUGE),
)
#: Roles tried in this order: the first one the route allows posts the form.
ROLE_ORDER = [
    Role.PREVENT_LEAD,
    Role.PANEL_CHAIR,
    Role.TRAINING_COORDINATOR,
    Role.SPOC,
    Role.AUDITOR,
    Role.BOARD_MEMBER,
    Role.PANEL_MEMBER,
]
_FIELD = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
_OPTION = re.compile(r'<option\b[^>]*value="([^"]*)"', re.IGNORECASE)


def _post_endpoints() -> list[str]:
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods})


def _role_for(endpoint: str) -> Role | None:
    allowed = EXPECTED[endpoint]
    if allowed == PUBLIC:
        return None
    return next(role for role in ROLE_ORDER if role in allowed)


def form_fields(html: str) -> dict[str, list[str]]:
    """Each field name on the page with the values the page offers for it (options, radios, prefilled)."""
    fields: dict[str, list[str]] = {}
    for match in _FIELD.finditer(html):
        attrs = dict(_ATTR.findall(match.group(2)))
        name = attrs.get("name")
        if not name or name == "csrf_token" or attrs.get("type") in ("submit", "button"):
            continue
        offered = fields.setdefault(name, [])
        if match.group(1).lower() == "select":
            rest = html[match.end() : html.find("</select>", match.end())]
            offered.extend(unescape(v) for v in _OPTION.findall(rest))
        elif "value" in attrs:
            offered.append(unescape(attrs["value"]))
    return fields


def assert_no_live_payload(html: str, where: str) -> None:
    assert SCRIPT not in html, f"{where}: a script payload came back as live markup"
    assert 'onerror=alert("hostile-9")>' not in html, f"{where}: an attribute payload came back as live markup"


@pytest.mark.parametrize("endpoint", _post_endpoints())
def test_every_form_answers_hostile_input_without_a_server_error(app, world, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and "POST" in r.methods)
    extra = all_records(app, world)
    url = rule.build(_url_args(rule, world, extra), append_unknown=False)[1]
    role = _role_for(endpoint)
    client = app.test_client()
    if role is not None:
        assert sign_in(client, world.users[role].email).status_code == 302
    fields = {}
    if "GET" in rule.methods:
        page = client.get(url)
        assert page.status_code < 500
        if page.status_code == 200:
            fields = form_fields(page.get_data(as_text=True))
    names = sorted(fields) or ["name", "title", "text", "items"]

    @HOSTILE
    @given(data=st.data())
    def post_hostile(data):
        form = {}
        for name in names:
            choice = data.draw(st.sampled_from(["hostile", "offered", "omit", "several"]))
            if choice == "offered" and fields.get(name):
                form[name] = data.draw(st.sampled_from(fields[name]))
            elif choice == "several":
                form[name] = data.draw(st.lists(hostile_text, min_size=2, max_size=3))
            elif choice != "omit":
                form[name] = data.draw(hostile_text)
        fresh = app.test_client()
        if role is not None:
            sign_in(fresh, world.users[role].email)
        response = fresh.post(url, data=form)
        where = f"POST {url} as {role} with {sorted(form)}"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        assert_no_live_payload(response.get_data(as_text=True), where)
        if response.status_code in (301, 302, 303) and response.headers["Location"].startswith("/"):
            landed = fresh.get(response.headers["Location"])
            assert landed.status_code < 500, f"{where} -> {response.headers['Location']}: {landed.status_code}"
            assert_no_live_payload(landed.get_data(as_text=True), f"{where} -> {response.headers['Location']}")

    post_hostile()


@pytest.fixture
def training(app, world) -> dict:
    """A course, a session, a person and a headcount for the world's organisation."""
    return training_records(app, world)


# --- imports ---------------------------------------------------------------------------------

cell = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=60), st.just("B" * 5000))


def table_file(kind: str, header: list[str], rows: list[list[str]]) -> bytes:
    if kind == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return out.getvalue().encode("utf-8")
    workbook = Workbook()
    sheet = workbook.active
    for values in [header, *rows]:
        # openpyxl refuses control characters in cells; a real spreadsheet cannot hold them either.
        sheet.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", v) for v in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def offered_choice(html: str) -> dict[str, str]:
    """Each field of the page's form at the first real value it offers (not a "Select..." blank)."""
    return {name: next((v for v in values if v), values[0]) for name, values in form_fields(html).items() if values}


def run_import(client, upload_url: str, form: dict, data: bytes, filename: str) -> None:
    """Upload, look at the column mapping, confirm it as offered: no step may answer 500."""
    response = client.post(
        upload_url, data={**form, "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )
    assert response.status_code < 500, response.status_code
    assert_no_live_payload(response.get_data(as_text=True), f"upload {filename}")
    if response.status_code != 302:
        return
    confirm_url = response.headers["Location"]
    page = client.get(confirm_url)
    assert page.status_code < 500
    html = page.get_data(as_text=True)
    assert_no_live_payload(html, confirm_url)
    done = client.post(confirm_url, data=offered_choice(html))
    assert done.status_code < 500, done.status_code
    assert_no_live_payload(done.get_data(as_text=True), f"confirm {confirm_url}")


import_rows = st.lists(st.lists(cell, min_size=1, max_size=8), min_size=0, max_size=6)
import_header = st.lists(
    st.one_of(st.sampled_from(["Duty", "Actions", "Lead", "RAG", "Name", "Email", "Date"]), cell),
    min_size=1,
    max_size=8,
)


@HOSTILE
@given(
    kind=st.sampled_from(["csv", "xlsx"]),
    header=import_header,
    rows=import_rows,
    filename=st.sampled_from(
        ["plan.{ext}", "../../etc/plan.{ext}", "..\\..\\plan.{ext}", "<script>.{ext}", "plan .{ext}."]
    ),
)
def test_plan_import_answers_generated_cells_without_a_server_error(app, world, kind, header, rows, filename):
    client = app.test_client()
    sign_in(client, world.users[Role.SPOC].email)
    form = {"area_id": str(world.area_id), "template": "spoc", "title": "Imported plan", "period": ""}
    run_import(client, "/plans/import", form, table_file(kind, header, rows), filename.format(ext=kind))


@HOSTILE
@given(kind=st.sampled_from(["csv", "xlsx"]), header=import_header, rows=import_rows)
def test_training_import_answers_generated_cells_without_a_server_error(app, world, training, kind, header, rows):
    client = app.test_client()
    sign_in(client, world.users[Role.TRAINING_COORDINATOR].email)
    page = client.get("/training/import")
    assert page.status_code == 200
    form = offered_choice(page.get_data(as_text=True))
    assert form["course_id"] and form["organisation_id"]
    run_import(client, "/training/import", form, table_file(kind, header, rows), f"register.{kind}")


# --- exports ---------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@HOSTILE
@given(values=st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=30)), min_size=1, max_size=6))
def test_exports_neutralise_formula_cells(values):
    read_back = next(csv.reader(io.StringIO(csv_text(["h"] * len(values), [values]).split("\r\n", 1)[1])))
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["h"] * len(values), [values]))).active
    cells = ["" if c.value is None else c.value for c in sheet[2]]
    for original, from_csv, from_xlsx in zip(values, read_back, cells, strict=True):
        if original.startswith(FORMULA_START):
            assert from_csv == "'" + original
            assert str(from_xlsx).startswith("'")
        assert not from_csv.startswith(FORMULA_START)
        assert not str(from_xlsx).startswith(FORMULA_START)


def test_plan_export_neutralises_formula_cells_end_to_end(app, world, login_as, client):
    login_as(Role.PREVENT_LEAD)
    for payload in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]:
        page = client.get(f"/plans/{world.plan_id}/rows/{world.row_id}/progress")
        version = form_fields(page.get_data(as_text=True))["version"][0]
        saved = client.post(
            f"/plans/{world.plan_id}/rows/{world.row_id}/progress",
            data={"items": payload + " done", "rag": "green", "version": version},
        )
        assert saved.status_code == 302
        exported = client.get(f"/plans/export?format=csv&plan={world.plan_id}").get_data(as_text=True)
        cells = [c for row in csv.reader(io.StringIO(exported)) for c in row]
        assert not any(c.startswith(FORMULA_START) for c in cells), payload
        assert any(c.startswith("'" + payload.strip()) for c in cells), payload
        workbook = load_workbook(io.BytesIO(client.get(f"/plans/export?format=xlsx&plan={world.plan_id}").data))
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                assert not any(isinstance(v, str) and v.startswith(FORMULA_START) for v in row), payload


# --- hostile files -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """An XLSX-shaped zip of about 300 KB that unpacks to 210 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1024 * 1024)
            for _ in range(210):
                sheet.write(chunk)
    return out.getvalue()


def test_a_zip_bomb_is_refused_as_evidence_and_as_an_import(app, client, world, login_as, zip_bomb):
    login_as(Role.PREVENT_LEAD)
    assert len(zip_bomb) < 2 * 1024 * 1024
    evidence = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/evidence", data={"file": (io.BytesIO(zip_bomb), "figures.xlsx")}
    )
    assert evidence.status_code == 200
    assert "contains too much data" in evidence.get_data(as_text=True)
    plan_import = client.post(
        "/plans/import",
        data={
            "area_id": str(world.area_id),
            "template": "spoc",
            "title": "Bomb",
            "file": (io.BytesIO(zip_bomb), "plan.xlsx"),
        },
    )
    assert plan_import.status_code == 200
    assert "holds too much data once unpacked" in plan_import.get_data(as_text=True)


def test_training_import_refuses_a_zip_bomb(app, world, training, zip_bomb):
    client = app.test_client()
    sign_in(client, world.users[Role.TRAINING_COORDINATOR].email)
    form = offered_choice(client.get("/training/import").get_data(as_text=True))
    response = client.post("/training/import", data={**form, "file": (io.BytesIO(zip_bomb), "register.xlsx")})
    assert response.status_code == 200
    assert "holds too much data once unpacked" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("filename", "stored"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        # Werkzeug's multipart parser already drops the backslashes of a Windows path.
        ("..\\..\\windows\\system32\\minutes.pdf", None),
        ("/var/www/<script>alert(1)</script>.pdf", "script.pdf"),
        ("\u202ereport\u202c.pdf", "report.pdf"),
        ("con .pdf.", "con.pdf"),
    ],
)
def test_evidence_filenames_cannot_climb_out_or_carry_markup(app, client, world, login_as, filename, stored):
    from core.extensions import db
    from plans.models import EvidenceFile

    login_as(Role.SPOC)
    response = client.post(
        f"/plans/{world.plan_id}/rows/{world.row_id}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4 minutes"), filename)},
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id.desc())).first()
        name, key, file_id = saved.filename, saved.storage_key, saved.id
    assert re.fullmatch(r"[A-Za-z0-9 ._()-]+\.pdf", name) and ".." not in name, name
    if stored:
        assert name == stored
    # The storage key is ours, never built from the user's filename.
    assert re.fullmatch(r"evidence/[a-z0-9/]+\.pdf", key) and ".." not in key, key
    download = client.get(f"/plans/{world.plan_id}/evidence/{file_id}")
    assert download.status_code == 200
    assert download.data == b"%PDF-1.4 minutes"
    assert name in download.headers["Content-Disposition"]


#: Text columns shown across the app, each filled with a script payload for the stored-input sweep.
STORED_TEXT = [
    ("organisations", "name"),
    ("business_areas", "name"),
    ("users", "full_name"),
    ("users", "job_title"),
    ("plans", "title"),
    ("plans", "introduction"),
    ("board_meetings", "title"),
    ("board_meetings", "place"),
    ("agenda_items", "title"),
    ("board_members", "representative"),
    ("training_courses", "name"),
    ("training_facilitators", "name"),
    ("training_people", "name"),
    ("training_sessions", "place"),
    ("channel_panel_members", "member_name"),
    ("channel_support_items", "need"),
    ("compliance_expectations", "narrative"),
    ("compliance_findings", "title"),
    ("compliance_findings", "recommendation"),
    ("compliance_findings", "response"),
    ("compliance_improvement_actions", "description"),
    ("reminder_log", "subject"),
]


def test_stored_script_payloads_are_shown_as_text_on_every_page(app, world):
    """Records whose names and texts are script payloads: every GET page, for every role, shows
    them escaped and answers below 500."""
    from sqlalchemy import text

    from core.extensions import db

    extra = all_records(app, world)
    with app.app_context():
        for table, column in STORED_TEXT:
            # The id keeps names unique where the schema asks for it.
            db.session.execute(text(f"UPDATE {table} SET {column} = :payload || id"), {"payload": SCRIPT})  # noqa: S608
        db.session.commit()
    escaped_seen, pages = 0, 0
    for role in ROLE_ORDER:
        client = app.test_client()
        assert sign_in(client, world.users[role].email).status_code == 302
        for rule in app.url_map.iter_rules():
            allowed = EXPECTED[rule.endpoint]
            if "GET" not in rule.methods or rule.endpoint in ("static", "govuk_assets", "vendor"):
                continue
            if allowed != PUBLIC and role not in allowed:
                continue
            url = rule.build(_url_args(rule, world, extra), append_unknown=False)[1]
            response = client.get(url)
            where = f"GET {url} as {role}"
            assert response.status_code < 500, f"{where}: {response.status_code}"
            if response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                assert_no_live_payload(html, where)
                escaped_seen += "&lt;script&gt;alert(" in html
                pages += 1
    print(f"\nSTORED: {pages} pages read for {len(ROLE_ORDER)} roles, {escaped_seen} showed the payload as text")
    assert escaped_seen > 50, "the payload should appear (escaped) on many pages"
