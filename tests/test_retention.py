"""Every retention schedule at its boundary day, through `flask retention run` (dry and real),
with today fixed at 16 November 2026: what is due today goes, what is due tomorrow stays.

The boundary is inclusive: a record is due on its start date plus its period, and goes on that
day. The world's partnership holds, for each schedule, one record due today and one due tomorrow:
- import files: stored 9 November 2026 (7 days: due today) and 10 November (due tomorrow);
- deactivated accounts: deactivated 16 November 2024 (24 months: due today) and 17 November 2024;
- leavers: left 16 November 2024 (24 months: due today) and 17 November 2024;
- Channel cases: concern reported 16 November 2020 (six years: due today) and 17 November 2020.
"""

import json
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from channel_panel.models import ChannelCase
from compliance.checks import run_checks
from core.audit import AuditEntry, acting_as
from core.extensions import db
from core.importing import stash
from core.models import SecurityEvent, User
from core.reminder_models import ReminderLog
from core.retention import RetentionRun, RetentionSchedule, record_run
from core.spreadsheets import load_table
from core.storage import get_storage
from core.vocab import Role
from partnership.models import BusinessArea, Organisation, Partnership
from tests.channel_panel.factories import closed_case
from tests.factories import OrganisationFactory, PartnershipFactory, UserFactory
from tests.training.factories import CompletionFactory, PersonFactory, SessionFactory
from training.models import Completion, Evaluation, Person

GONE_UPLOAD, KEPT_UPLOAD = "a" * 32, "b" * 32
GONE_NAME, GONE_EMAIL = "Gwendolyn Formerly", "gwendolyn.formerly@council.example"
KEPT_NAME = "Kit Stillhere"
LEAVER_NAME, LEAVER_EMAIL, LEAVER_STAFF = "Lorna Leftlong", "lorna.leftlong@partner.example", "ZX-4411"


def _stash(upload_id: str, stored_on: str) -> None:
    storage = get_storage()
    storage.put(f"imports/{upload_id}.csv", f"Name,Email\n{LEAVER_NAME},{LEAVER_EMAIL}\n".encode())
    described = {"id": upload_id, "kind": "register", "user": 1, "filename": "Lorna's register.csv", "choices": {}}
    storage.put(f"imports/{upload_id}.json", json.dumps({**described, "stored_on": stored_on}).encode())


def _clear_stash() -> None:
    for key in get_storage().keys("imports/"):  # the suite's upload folder outlives each test
        get_storage().delete(key)


@pytest.fixture
def due(app, world):
    """One record due today and one due tomorrow under each schedule (see the module's docstring)."""
    with app.app_context():
        _clear_stash()
        _stash(GONE_UPLOAD, "2026-11-09")
        _stash(KEPT_UPLOAD, "2026-11-10")

        gone = UserFactory(
            full_name=GONE_NAME, email=GONE_EMAIL, job_title="Head of Cohesion", roles=[Role.BOARD_MEMBER]
        )
        kept = UserFactory(full_name=KEPT_NAME, email="kit.stillhere@council.example", roles=[Role.SPOC])
        db.session.flush()
        # What the gone account did and where its name and email were copied.
        with acting_as(GONE_EMAIL, gone.id):
            area = db.session.get(BusinessArea, world.area_id)
            area.contact_email = GONE_EMAIL
            db.session.flush()
        db.session.add(SecurityEvent(kind="login_ok", user_id=gone.id, email=GONE_EMAIL))
        db.session.add(
            ReminderLog(
                dedupe_key=f"board_action:a1:2024-10-01:u{gone.id}",
                kind="board_action",
                user_id=gone.id,
                recipient=GONE_EMAIL,
                subject="Board action due",
                body=f"Dear {GONE_NAME}, your action is due.",
            )
        )
        gone.active, gone.deactivated_on = False, date(2024, 11, 16)
        kept.active, kept.deactivated_on = False, date(2024, 11, 17)

        organisation = db.session.get(Organisation, world.organisation_id)
        leaver = PersonFactory(
            name=LEAVER_NAME,
            email=LEAVER_EMAIL,
            staff_number=LEAVER_STAFF,
            organisation=organisation,
            left_on=date(2024, 11, 16),
        )
        stays = PersonFactory(name="Lena Leftlater", organisation=organisation, left_on=date(2024, 11, 17))
        working = PersonFactory(name="Walter Working", organisation=organisation, left_on=None)
        elsewhere = PersonFactory(
            name="Olga Otherpartnership",
            organisation=OrganisationFactory(partnership=PartnershipFactory(name="Another partnership")),
            left_on=date(2019, 1, 1),
        )
        completion = CompletionFactory(person=leaver, completed_on=date(2023, 5, 1))
        CompletionFactory(person=stays, course=completion.course, completed_on=date(2023, 5, 1))
        session = SessionFactory(course=completion.course)
        evaluation = Evaluation(
            session_id=session.id,
            person=leaver,
            understanding_before=2,
            understanding_after=4,
            confidence_before=2,
            confidence_after=4,
            comment="Useful",
        )
        db.session.add(evaluation)

        case_gone = closed_case(
            closed_on=date(2021, 3, 1),
            concern_reported_on=date(2020, 11, 16),
            name="Casey Goneby",
            today=date(2026, 11, 16),
        )
        case_kept = closed_case(
            closed_on=date(2021, 3, 1),
            concern_reported_on=date(2020, 11, 17),
            name="Casey Staysby",
            today=date(2026, 11, 16),
        )
        db.session.commit()
        ids = SimpleNamespace(
            gone_user=gone.id,
            kept_user=kept.id,
            leaver=leaver.id,
            stays=stays.id,
            working=working.id,
            elsewhere=elsewhere.id,
            evaluation=evaluation.id,
            case_gone=case_gone.reference,
            case_kept=case_kept.reference,
        )
    yield ids
    with app.app_context():
        _clear_stash()


def run(app, *args):
    """The run for the test's partnership (the fixture's other partnership has its own)."""
    return app.test_cli_runner().invoke(args=["retention", "run", "--partnership", "1", *args])


def state(app) -> dict:
    """What the schedules look at, and the trail."""
    with app.app_context():
        return {
            "files": get_storage().keys("imports/"),
            "users": [
                tuple(r) for r in db.session.execute(select(User.id, User.full_name, User.email).order_by(User.id))
            ],
            "people": list(db.session.scalars(select(Person.id).order_by(Person.id))),
            "completions": db.session.scalar(select(func.count()).select_from(Completion)),
            "cases": list(db.session.scalars(select(ChannelCase.reference).order_by(ChannelCase.reference))),
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
            "runs": db.session.scalar(select(func.count()).select_from(RetentionRun)),
        }


def test_dry_run_lists_what_is_due_on_the_boundary_day_and_changes_nothing(app, due):
    before = state(app)

    result = run(app, "--dry-run")

    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.splitlines() == [
        "Dry run as of 2026-11-16: nothing removed or redacted.",
        "Abandoned import files (import_files, 7 days after upload): 1 would be removed",
        f"  upload {GONE_UPLOAD}  due 2026-11-16: would be removed: 2 file(s), stored on 2026-11-09",
        "Deactivated accounts (deactivated_accounts, 24 months after deactivation): 1 would be redacted",
        f"  account #{due.gone_user}  due 2026-11-16: would be redacted: name, email and job title of a "
        "Board member account deactivated on 2024-11-16",
        "Leavers' training records (training_leavers, 24 months after leaving): 1 would be removed",
        f"  person #{due.leaver}  due 2026-11-16: would be removed: left 2024-11-16: the person, 1 completion(s); "
        "1 evaluation(s) kept without their name",
        "Channel case material (channel_cases, 6 years after the concern was reported): 1 would be deleted",
        f"  {due.case_gone}  due 2026-11-16: would be deleted: concern reported 2020-11-16: the case record, "
        "personal details, 2 post-closure reviews",
    ]
    for secret in (GONE_NAME, GONE_EMAIL, LEAVER_NAME, LEAVER_EMAIL, "Lorna's register", "Casey"):
        assert secret not in result.output
    assert state(app) == before


def test_dry_run_as_of_tomorrow_lists_the_day_before_records_too(app, due):
    result = run(app, "--dry-run", "--as-of", "2026-11-17")
    assert result.exit_code == 0, result.output
    assert "Abandoned import files (import_files, 7 days after upload): 2 would be removed" in result.stdout
    assert f"upload {KEPT_UPLOAD}  due 2026-11-17" in result.stdout
    assert f"account #{due.kept_user}  due 2026-11-17" in result.stdout
    assert f"person #{due.stays}  due 2026-11-17" in result.stdout
    assert f"{due.case_kept}  due 2026-11-17" in result.stdout


def test_real_run_removes_what_is_due_today_keeps_tomorrows_and_is_idempotent(app, due):
    result = run(app)

    assert result.exit_code == 0, result.output + result.stderr
    assert [line for line in result.stdout.splitlines() if not line.startswith("  ")] == [
        "Abandoned import files (import_files, 7 days after upload): 1 removed",
        "Deactivated accounts (deactivated_accounts, 24 months after deactivation): 1 redacted",
        "Leavers' training records (training_leavers, 24 months after leaving): 1 removed",
        "Channel case material (channel_cases, 6 years after the concern was reported): 1 deleted",
    ]
    after = state(app)
    assert after["files"] == [f"imports/{KEPT_UPLOAD}.csv", f"imports/{KEPT_UPLOAD}.json"]
    users = {user_id: (name, email) for user_id, name, email in after["users"]}
    assert users[due.gone_user] == (f"Former user #{due.gone_user}", f"former-user-{due.gone_user}@redacted.invalid")
    assert users[due.kept_user] == (KEPT_NAME, "kit.stillhere@council.example")
    assert due.leaver not in after["people"]
    assert {due.stays, due.working, due.elsewhere} <= set(after["people"])
    assert after["cases"] == [due.case_kept]
    with app.app_context():
        runs = db.session.execute(
            select(
                RetentionRun.schedule, RetentionRun.ran_on, RetentionRun.removed_count, RetentionRun.oldest_due_on
            ).order_by(RetentionRun.id)
        ).all()
        assert [tuple(r) for r in runs] == [
            ("import_files", date(2026, 11, 16), 1, date(2026, 11, 16)),
            ("deactivated_accounts", date(2026, 11, 16), 1, date(2026, 11, 16)),
            ("training_leavers", date(2026, 11, 16), 1, date(2026, 11, 16)),
            ("channel_cases", date(2026, 11, 16), 1, date(2026, 11, 16)),
        ]
        # One audit entry per removal, saying what went, never the personal data.
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.actor_label == "flask retention run").order_by(AuditEntry.id)
        ).all()
        retention_entries = [(e.entity, e.entity_id) for e in entries if "retention" in e.changes]
        assert retention_entries == [
            ("import_files", None),
            ("users", due.gone_user),
            ("training_people", due.leaver),
            ("channel_cases", retention_entries[3][1]),
        ]
        trail = " ".join(f"{e.actor_label} {e.label} {e.changes}" for e in db.session.scalars(select(AuditEntry)))
        for secret in (
            GONE_NAME,
            GONE_EMAIL,
            LEAVER_NAME,
            LEAVER_EMAIL,
            LEAVER_STAFF,
            "Lorna's register",
            "Casey Goneby",
        ):
            assert secret not in trail, secret
        assert KEPT_NAME in trail  # the account not yet due keeps its name in the trail

    again = run(app)
    assert again.exit_code == 0
    assert [line for line in again.stdout.splitlines()] == [
        "Abandoned import files (import_files, 7 days after upload): 0 removed",
        "Deactivated accounts (deactivated_accounts, 24 months after deactivation): 0 redacted",
        "Leavers' training records (training_leavers, 24 months after leaving): 0 removed",
        "Channel case material (channel_cases, 6 years after the concern was reported): 0 deleted",
    ]
    second = state(app)
    assert {k: v for k, v in second.items() if k not in ("audit", "runs")} == {
        k: v for k, v in after.items() if k not in ("audit", "runs")
    }
    assert second["audit"] == after["audit"] + 4  # the four runs' own rows, nothing else
    assert second["runs"] == after["runs"] + 4


def test_a_redacted_account_keeps_its_id_and_role_in_the_trail_and_the_logs_lose_its_name(app, world, due):
    assert run(app, "--schedule", "deactivated_accounts").exit_code == 0
    with app.app_context():
        user = db.session.get(User, due.gone_user)
        assert (user.full_name, user.email, user.job_title) == (
            f"Former user #{due.gone_user}",
            f"former-user-{due.gone_user}@redacted.invalid",
            "",
        )
        assert user.role_set == {Role.BOARD_MEMBER} and not user.active
        assert user.personal_data_removed_on == date(2026, 11, 16)
        # What the account did: still its id, now with its role instead of its email.
        acted = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == due.gone_user)).all()
        assert acted and {e.actor_label for e in acted} == {f"Former user #{due.gone_user} (Board member)"}
        area_entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "business_areas", AuditEntry.actor_id == due.gone_user)
        ).one()
        assert area_entry.changes["contact_email"][1] == "[redacted]"
        own = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "users", AuditEntry.entity_id == due.gone_user)
            .order_by(AuditEntry.id)
        ).all()
        assert own[0].action == "insert"
        assert own[0].changes["full_name"] == [None, "[redacted]"] and own[0].changes["email"] == [None, "[redacted]"]
        assert own[0].changes["job_title"] == [None, "[redacted]"]
        assert (
            own[-1]
            .changes["retention"][1]
            .startswith(
                "name, email and job title redacted 24 months after deactivation "
                "(deactivated 2024-11-16, due 2026-11-16)"
            )
        )
        event = db.session.scalars(select(SecurityEvent).where(SecurityEvent.user_id == due.gone_user)).one()
        assert event.email == "[redacted]"
        log = db.session.scalars(select(ReminderLog).where(ReminderLog.user_id == due.gone_user)).one()
        assert (log.recipient, log.body) == ("[redacted]", "Dear [redacted], your action is due.")
        # The area's contact address is the area's record, not the account's: the run leaves it.
        assert db.session.get(BusinessArea, world.area_id).contact_email == GONE_EMAIL


def test_a_leavers_evaluation_stays_without_their_name_and_their_trail_is_redacted(app, due):
    assert run(app, "--schedule", "training_leavers").exit_code == 0
    with app.app_context():
        evaluation = db.session.get(Evaluation, due.evaluation)
        assert evaluation is not None and evaluation.person_id is None and evaluation.comment == "Useful"
        assert (
            db.session.scalar(select(func.count()).select_from(Completion).where(Completion.person_id == due.leaver))
            == 0
        )
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "training_people", AuditEntry.entity_id == due.leaver)
            .order_by(AuditEntry.id)
        ).all()
        assert entries[0].action == "insert" and entries[0].label == "deleted under retention"
        assert entries[0].changes["name"] == [None, "[redacted]"]
        assert entries[0].changes["staff_number"] == [None, "[redacted]"]
        assert entries[-1].changes["retention"][1] == (
            "deleted 24 months after leaving (due 2026-11-16): left 2024-11-16: the person, 1 completion(s); "
            "1 evaluation(s) kept without their name"
        )


def test_the_leavers_period_is_the_partnerships_setting(app, due):
    with app.app_context():
        db.session.scalars(select(Partnership).order_by(Partnership.id)).first().leaver_retention_months = 12
        db.session.commit()
    result = run(app, "--dry-run", "--schedule", "training_leavers")
    # Twelve months: 17 November 2024 + 12 months = 17 November 2025, well past.
    assert "Leavers' training records (training_leavers, 12 months after leaving): 2 would be removed" in result.stdout
    assert f"person #{due.stays}  due 2025-11-17" in result.stdout
    assert f"person #{due.elsewhere}" not in result.stdout  # another partnership's leaver


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "31/03/2027"], "Error: --as-of: '31/03/2027' is not a date; use YYYY-MM-DD, like 2027-03-31"),
        (
            ["--dry-run", "--as-of", "2027-02-30"],
            "Error: --as-of: '2027-02-30' is not a date; use YYYY-MM-DD, like 2027-03-31",
        ),
        (
            ["--as-of", "2026-11-17"],
            "Error: --as-of: a real run cannot be dated after today (2026-11-16); "
            "use --dry-run to see what will be due then",
        ),
        (
            ["--schedule", "everything"],
            "Error: --schedule: there is no schedule 'everything'; one of: import_files, deactivated_accounts, "
            "training_leavers, channel_cases",
        ),
    ],
)
def test_bad_options_are_refused_and_nothing_changes(app, due, args, message):
    before = state(app)
    result = run(app, *args)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]
    assert state(app) == before


def test_a_new_upload_records_the_day_it_was_stored(app, world):
    with app.test_request_context():
        token = stash.put(kind="register", user=1, filename="r.csv", table=load_table("r.csv", b"a,b\n"), choices={})
        upload = stash.get(token, kind="register", user=1)
        described = json.loads(get_storage().get(upload.choices_key))
        stash.discard(upload)
    assert described["stored_on"] == "2026-11-16"


def test_the_compliance_check_reports_each_schedule_and_what_was_held_past_its_period(app, world):
    """A leaver due on 1 June 2025, runs of every schedule in February 2025 only: held at year end."""
    with app.app_context():
        organisation = db.session.get(Organisation, world.organisation_id)
        PersonFactory(name="Late Leaver", organisation=organisation, left_on=date(2023, 6, 1))
        for name in ("import_files", "deactivated_accounts", "training_leavers", "channel_cases"):
            record_run(schedule=name, ran_on=date(2025, 2, 1), removed=0, kept=0, run_by="flask retention run")
        db.session.commit()
        check = {c.key: c for c in run_checks(world.partnership_id, 2025)}["retention"]
    assert check.summary == "1 held past their period on 31 December 2025."
    leavers = check.records[2]
    assert (leavers.label, leavers.gap) == ("Leavers' training records (24 months after leaving)", True)
    assert leavers.detail == "Last ran 1 February 2025; 1 run(s) in 2025; 1 held past their period on 31 December 2025."
    assert [r.gap for r in check.records] == [False, False, True, False]

    assert run(app).exit_code == 0  # today's run removes it, late
    with app.app_context():
        check = {c.key: c for c in run_checks(world.partnership_id, 2025)}["retention"]
        this_year = {c.key: c for c in run_checks(world.partnership_id, 2026)}["retention"]
    assert check.records[2].detail == (
        "Last ran 1 February 2025; 1 run(s) in 2025; 0 held past their period on 31 December 2025; "
        "material due by 31 December 2025 was removed only on 16 November 2026."
    )
    assert check.summary == "Removed late: Leavers' training records."
    assert this_year.summary == "Every schedule ran in 2026; nothing was held past its period on 16 November 2026."
    assert dict(this_year.figures) == {
        "Schedules": "4",
        "Retention runs in the year": "4",
        "Held past their period": "0",
    }


def test_a_redacted_account_says_so_and_cannot_be_reactivated(app, client, login_as, due):
    assert run(app, "--schedule", "deactivated_accounts").exit_code == 0
    login_as(Role.PREVENT_LEAD)
    html = client.get(f"/users/{due.gone_user}").get_data(as_text=True)
    assert f"Former user #{due.gone_user}" in html and GONE_NAME not in html
    assert "were removed under retention on 16 November 2026" in html
    assert "Reactivate account" not in html
    refused = client.post(f"/users/{due.gone_user}/reactivate", follow_redirects=True).get_data(as_text=True)
    assert "This account&#39;s name and email were removed under retention: create a new account instead." in refused
    with app.app_context():
        assert db.session.get(User, due.gone_user).active is False
    # The account not yet due can still be reactivated, and its deactivation date is cleared.
    client.post(f"/users/{due.kept_user}/reactivate")
    with app.app_context():
        kept = db.session.get(User, due.kept_user)
        assert (kept.active, kept.deactivated_on) == (True, None)


def test_the_demo_has_something_due_under_each_schedule_but_the_import_stash(app, demo):
    """The demo (today 16 November 2026): Derek Oldfield's account deactivated 26 months ago, a
    leaver who left 775 days ago (2 October 2024) with one e-learning completion, and a Channel case
    reported 74 months ago (16 September 2020)."""
    with app.app_context():
        _clear_stash()
    result = run(app, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Abandoned import files (import_files, 7 days after upload): 0 would be removed" in lines
    assert "Deactivated accounts (deactivated_accounts, 24 months after deactivation): 1 would be redacted" in lines
    assert any(
        line.endswith(
            "due 2026-09-16: would be redacted: name, email and job title of a SPOC (single point of contact) "
            "account deactivated on 2024-09-16"
        )
        for line in lines
    )
    assert any(
        line.endswith("due 2026-10-02: would be removed: left 2024-10-02: the person, 1 completion(s)")
        for line in lines
    )
    assert any(line.startswith("  CP-2020-001  due 2026-09-16: would be deleted") for line in lines)


def test_a_failing_schedule_does_not_stop_the_others_and_the_run_exits_non_zero(app, due):
    """A schedule whose store cannot be read (here one that always fails): its transaction is rolled
    back and reported; the other schedules still run and are recorded."""

    def unreadable(day):
        raise RuntimeError("the file store could not be reached")

    broken = RetentionSchedule(
        name="broken",
        title="Broken schedule",
        what="nothing",
        period=lambda: "never",
        default="",
        reason="",
        find=unreadable,
        remove=lambda day, items: None,
    )
    schedules = app.extensions["domain_parts"].retention_schedules
    schedules.insert(0, broken)
    try:
        dry = run(app, "--dry-run")
        result = run(app)
    finally:
        schedules.remove(broken)
    assert dry.exit_code == 1
    assert dry.stderr.splitlines() == [
        "Error: Broken schedule: could not be listed (the file store could not be reached)"
    ]
    assert "Channel case material (channel_cases, 6 years after the concern was reported): 1 would be deleted" in (
        dry.stdout
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: Broken schedule: nothing removed (the file store could not be reached)"
    ]
    assert "Channel case material (channel_cases, 6 years after the concern was reported): 1 deleted" in result.stdout
    with app.app_context():
        ran = list(db.session.scalars(select(RetentionRun.schedule).order_by(RetentionRun.id)))
    assert ran == ["import_files", "deactivated_accounts", "training_leavers", "channel_cases"]


def test_schedules_lists_each_period_default_reason_and_last_run(app, world):
    with app.app_context():
        record_run(schedule="channel_cases", ran_on=date(2026, 11, 2), removed=0, kept=0, run_by="flask retention run")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["retention", "schedules"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if not line.startswith("  ")] == [
        "import_files: Abandoned import files",
        "deactivated_accounts: Deactivated accounts",
        "training_leavers: Leavers' training records",
        "channel_cases: Channel case material",
    ]
    assert "  period:  7 days after upload (default 7 days)" in lines
    assert "  period:  24 months after deactivation (default 24 months)" in lines
    assert "  period:  24 months after leaving (default 24 months, a partnership setting)" in lines
    assert "  period:  6 years after the concern was reported (default 6 years)" in lines
    assert lines.count("  last ran never") == 3 and "  last ran 2026-11-02" in lines


def test_without_a_partnership_each_is_run_in_turn_by_its_own_setting(app, due):
    """The other partnership's leaver (left 1 January 2019, its period 24 months by default) is
    removed in its own turn; each partnership's records are listed under it."""
    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "Partnership 1:"
    second = lines.index("Partnership 2:")
    assert f"person #{due.leaver}  due 2026-11-16" in "\n".join(lines[1:second])
    theirs = "\n".join(lines[second:])
    assert "Leavers' training records (training_leavers, 24 months after leaving): 1 would be removed" in theirs
    assert "due 2021-01-01: would be removed: left 2019-01-01" in theirs
    assert f"person #{due.leaver} " not in theirs


def test_an_unknown_partnership_is_refused_before_anything_is_listed(app, due):
    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run", "--partnership", "Nowhere"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Error: --partnership: No partnership is called or numbered 'Nowhere'" in result.stderr
