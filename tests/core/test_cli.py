"""The command-line jobs: flask create-admin, flask demo-data and flask audit export."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.audit import REDACTED, AuditEntry
from core.demo import DEMO_PASSWORD
from core.extensions import db
from core.models import User
from core.vocab import Role
from partnership.demo import DEMO_LOGINS, ORGANISATIONS
from partnership.models import BusinessArea, Organisation
from spoc.demo import AREAS
from tests.conftest import sign_in
from tests.factories import TEST_PASSWORD, PartnershipFactory, UserFactory

AUDIT_HEADER = [
    "Entry",
    "When (UTC)",
    "Changed by",
    "Change",
    "Record type",
    "Record number",
    "Record",
    "Field",
    "Before",
    "After",
]


def run(app, *args: str, input: str | None = None):
    """Invoke a command as `flask ...` would, with no app context held by the test."""
    return app.test_cli_runner().invoke(args=list(args), input=input)


def create_admin(app, email="lead@council.example", name="Lena Lead", password=TEST_PASSWORD):
    return run(app, "create-admin", "--email", email, "--name", name, "--password-stdin", input=f"{password}\n")


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


# flask create-admin


@pytest.fixture(autouse=True)
def _a_partnership(request, app):
    """create-admin adds a Prevent Lead to a partnership: the deployment has one."""
    if request.node.name.startswith("test_create_admin"):
        with app.app_context():
            PartnershipFactory(name="Test County Prevent Partnership")
            db.session.commit()


def test_create_admin_makes_an_active_prevent_lead_who_can_sign_in(app, client):
    result = create_admin(app, email="  Lena.Lead@Council.example ")

    assert result.exit_code == 0, result.output
    assert "Created Prevent Lead lena.lead@council.example" in result.stdout
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "lena.lead@council.example"))
        assert user is not None
        assert user.full_name == "Lena Lead"
        assert user.active
        assert not user.must_change_password
        assert user.role_set == {Role.PREVENT_LEAD}
    response = sign_in(client, "lena.lead@council.example", TEST_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_create_admin_is_audited_with_the_password_hash_redacted(app):
    assert create_admin(app).exit_code == 0

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "lead@council.example"))
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "users", AuditEntry.entity_id == user.id)
        ).all()
        assert [(e.action, e.actor_label) for e in entries] == [("insert", "flask create-admin")]
        changes = entries[0].changes
        assert changes["email"] == [None, "lead@council.example"]
        assert changes["password_hash"] == [None, REDACTED]
        # The hash appears in no entry at all, under any field.
        for entry in db.session.scalars(select(AuditEntry)):
            assert user.password_hash not in repr(entry.changes)


@pytest.mark.parametrize(
    ("email", "password", "expected"),
    [
        ("lead@council.example", "Short-1", "Error: password: Password must be 12 characters or more"),
        ("lead@council.example", "password123456", "Error: password: Password is too common"),
        ("lead.council.example", TEST_PASSWORD, "Error: --email: enter an email address in the correct format"),
        ("lead@", TEST_PASSWORD, "Error: --email: enter an email address in the correct format"),
    ],
    ids=["short-password", "common-password", "malformed-email", "email-without-domain"],
)
def test_create_admin_refuses_bad_input_and_creates_nobody(app, email, password, expected):
    result = create_admin(app, email=email, password=password)

    assert result.exit_code == 1
    assert len(errors(result)) == 1
    assert errors(result)[0].startswith(expected), result.stderr
    assert "Created" not in result.stdout
    assert user_count(app) == 0


def test_create_admin_asks_which_partnership_when_there_are_several(app):
    with app.app_context():
        PartnershipFactory(name="Second County Prevent Partnership")
        db.session.commit()
    result = create_admin(app)
    assert result.exit_code == 2
    assert "several partnerships: say which with --partnership NAME or ID" in result.stderr
    assert "1: Test County Prevent Partnership; 2: Second County Prevent Partnership" in result.stderr
    assert user_count(app) == 0
    named = run(
        app, "create-admin", "--partnership", "second county prevent partnership", "--email", "lena@council.example",
        "--name", "Lena Lead", "--password-stdin", input=f"{TEST_PASSWORD}\n",
    )  # fmt: skip
    assert named.exit_code == 0, named.output
    with app.app_context():
        assert db.session.scalar(select(User.partnership_id).where(User.email == "lena@council.example")) == 2
    unknown = run(app, "create-admin", "--partnership", "9", "--email", "x@council.example", "--name", "X")
    assert unknown.exit_code == 2
    assert "No partnership is called or numbered '9'" in unknown.stderr


# flask partnership create / list


def test_partnership_create_makes_the_partnership_and_its_first_lead_who_signs_in_to_it(app, client):
    result = run(
        app, "partnership", "create", "  Fenmarsh   Prevent Partnership ", "--lead-email", "Lead@Fenmarsh.example",
        "--lead-name", "Fern Lead", "--password-stdin", input=f"{TEST_PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "Created partnership 1: Fenmarsh Prevent Partnership, with Prevent Lead lead@fenmarsh.example." in result.stdout
    )
    second = run(
        app, "partnership", "create", "Wellsbridge Prevent Partnership", "--lead-email", "lead@wellsbridge.example",
        "--lead-name", "Will Lead", "--password-stdin", input=f"{TEST_PASSWORD}\n",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    listed = run(app, "partnership", "list")
    assert listed.stdout.splitlines() == [
        "  Id  Active accounts  Name",
        "   1                1  Fenmarsh Prevent Partnership",
        "   2                1  Wellsbridge Prevent Partnership",
    ]
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == "lead@wellsbridge.example"))
        assert (lead.partnership_id, lead.role_set) == (2, {Role.PREVENT_LEAD})
    # The Lead signs in (and is asked to set up two-factor authentication first, as Leads are).
    response = sign_in(client, "lead@wellsbridge.example", TEST_PASSWORD)
    assert response.status_code == 302


def test_partnership_create_refuses_bad_input_and_creates_nothing(app):
    run(
        app, "partnership", "create", "Fenmarsh Prevent Partnership", "--lead-email", "lead@fenmarsh.example",
        "--lead-name", "Fern Lead", "--password-stdin", input=f"{TEST_PASSWORD}\n",
    )  # fmt: skip
    before = row_counts(app)
    result = run(
        app, "partnership", "create", "FENMARSH prevent partnership", "--lead-email", "lead@fenmarsh.example",
        "--lead-name", " ", "--password-stdin", input="short\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: NAME: a partnership called FENMARSH prevent partnership already exists",
        "Error: --lead-email: a user with the email address lead@fenmarsh.example already exists",
        "Error: --lead-name: enter the Prevent Lead's full name",
        "Error: password: Password must be 12 characters or more",
    ]
    assert row_counts(app) == before


def test_create_admin_refuses_an_email_already_in_use(app):
    with app.app_context():
        UserFactory(email="lead@council.example", full_name="Existing Person", roles=[Role.SPOC])
        db.session.commit()
    before = row_counts(app)

    result = create_admin(app, email="LEAD@council.example")

    assert result.exit_code == 1
    assert errors(result) == ["Error: --email: a user with the email address lead@council.example already exists"]
    assert row_counts(app) == before
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.full_name == "Existing Person"
        assert user.role_set == {Role.SPOC}


def test_create_admin_lists_every_problem_at_once(app):
    result = run(app, "create-admin", "--email", "not-an-email", "--name", "   ", "--password-stdin", input="short\n")

    assert result.exit_code == 1
    assert errors(result) == [
        "Error: --email: enter an email address in the correct format, like name@example.org",
        "Error: --name: enter the user's full name",
        "Error: password: Password must be 12 characters or more",
    ]
    assert user_count(app) == 0


# flask demo-data


def load_demo(app):
    result = run(app, "demo-data")
    assert result.exit_code == 0, result.output
    return result


def test_demo_data_loads_the_partnership_and_prints_the_logins(app):
    result = load_demo(app)

    with app.app_context():
        organisations = set(db.session.scalars(select(Organisation.name)))
        assert organisations == {name for name, _, _ in ORGANISATIONS}
        areas = set(db.session.scalars(select(BusinessArea.name)))
        assert len(areas) == 9
        assert areas == {name for name, _ in AREAS}
        users = {u.email: u for u in db.session.scalars(select(User))}
        assert set().union(*(u.role_set for u in users.values())) == set(Role)
        for role, email in DEMO_LOGINS:
            assert role in users[email].role_set, email
    assert {role for role, _ in DEMO_LOGINS} == set(Role)
    for _, email in DEMO_LOGINS:
        assert email in result.stdout
    assert DEMO_PASSWORD in result.stdout
    assert result.stderr == ""


def test_demo_logins_work(app, client):
    load_demo(app)

    response = sign_in(client, DEMO_LOGINS[0][1], DEMO_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_demo_data_if_empty_leaves_a_loaded_database_alone(app):
    load_demo(app)
    before = row_counts(app)

    result = run(app, "demo-data", "--if-empty")

    assert result.exit_code == 0, result.output
    assert "not loaded" in result.stdout
    assert row_counts(app) == before


def test_demo_data_refuses_a_loaded_database(app):
    load_demo(app)
    before = row_counts(app)

    result = run(app, "demo-data")

    assert result.exit_code == 1
    assert errors(result) == ["Error: the database already holds data; demo data is only loaded into an empty database"]
    assert row_counts(app) == before


# flask audit export


def test_audit_export_writes_a_csv_of_the_trail(app, tmp_path):
    load_demo(app)
    target = tmp_path / "audit.csv"

    result = run(app, "audit", "export", "-o", str(target))

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.csv"]  # no .part file left behind
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == AUDIT_HEADER
    records = [dict(zip(AUDIT_HEADER, row, strict=True)) for row in rows[1:]]
    inserted = {r["Record"] for r in records if r["Record type"] == "organisations" and r["Change"] == "insert"}
    assert inserted == {name for name, _, _ in ORGANISATIONS}
    assert {r["Changed by"] for r in records} == {"flask demo-data"}
    passwords = [r for r in records if r["Field"] == "password_hash"]
    assert passwords
    assert {r["After"] for r in passwords} == {REDACTED}


def test_audit_export_filters_by_entity_and_dates(app, tmp_path):
    load_demo(app)
    only_areas = tmp_path / "areas.csv"
    long_ago = tmp_path / "2000.csv"

    assert run(app, "audit", "export", "-o", str(only_areas), "--entity", "business_areas").exit_code == 0
    assert (
        run(app, "audit", "export", "-o", str(long_ago), "--since", "2000-01-01", "--until", "2000-12-31").exit_code
        == 0
    )

    rows = list(csv.DictReader(io.StringIO(only_areas.read_text(encoding="utf-8"))))
    assert {r["Record"] for r in rows} == {name for name, _ in AREAS}
    assert {r["Record type"] for r in rows} == {"business_areas"}
    assert list(csv.reader(io.StringIO(long_ago.read_text(encoding="utf-8")))) == [AUDIT_HEADER]


def test_audit_export_writes_an_xlsx_workbook(app, tmp_path):
    load_demo(app)
    target = tmp_path / "audit.xlsx"

    result = run(app, "audit", "export", "-o", str(target))

    assert result.exit_code == 0, result.output
    workbook = load_workbook(target, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert list(rows[0]) == AUDIT_HEADER
    inserted = {r[6] for r in rows[1:] if r[4] == "organisations" and r[3] == "insert"}
    assert inserted == {name for name, _, _ in ORGANISATIONS}


UNKNOWN_ENTITY = "Error: --entity: unknown record type 'nonsense'"
WRONG_SUFFIX = "Error: -o: the file name must end in .csv or .xlsx"
DATES_BACKWARDS = "Error: --until must be the same as or after --since"
NO_FOLDER = "Error: -o: the folder"


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("audit.csv", ["--entity", "nonsense"], [UNKNOWN_ENTITY]),
        ("audit.txt", [], [WRONG_SUFFIX]),
        ("audit.xlsx", ["--since", "2026-02-01", "--until", "2026-01-31"], [DATES_BACKWARDS]),
        ("missing/audit.csv", [], [NO_FOLDER]),
        (
            "missing/audit.txt",
            ["--entity", "nonsense", "--since", "2026-02-01", "--until", "2026-01-31"],
            [WRONG_SUFFIX, UNKNOWN_ENTITY, DATES_BACKWARDS, NO_FOLDER],
        ),
    ],
    ids=["unknown-entity", "txt-suffix", "until-before-since", "missing-folder", "all-at-once"],
)
def test_audit_export_refuses_bad_input_and_writes_nothing(app, tmp_path, name, options, expected):
    load_demo(app)

    result = run(app, "audit", "export", "-o", str(tmp_path / name), *options)

    assert result.exit_code == 1
    lines = errors(result)
    assert len(lines) == len(expected), result.stderr
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), result.stderr
    assert list(tmp_path.rglob("*")) == []
