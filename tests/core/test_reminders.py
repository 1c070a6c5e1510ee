"""Reminders through a real SMTP server on loopback (aiosmtpd): who gets what, once only,
opt-outs, failures recorded and retried, STARTTLS, and no Channel names in any message."""

import datetime as dt
import email
import socket
import ssl
import threading
import time
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from board.models import BoardMeeting
from board.services import add_action, record_membership_review
from channel_panel.models import Panel
from core.audit import AuditEntry
from core.extensions import db
from core.reminders import ReminderLog, ReminderOptOut, send_due
from core.vocab import Role
from partnership.models import Organisation
from plans.models import PlanRow
from tests.channel_panel.factories import SECRET_NAMES, closed_case
from tests.training.factories import CompletionFactory, CourseFactory, PersonFactory

TODAY = date(2026, 11, 20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://prevent.example")
    yield inbox
    controller.stop()


@pytest.fixture
def due(app, world):
    """Something due for every kind of reminder on TODAY."""
    with app.app_context():
        meeting = BoardMeeting(partnership_id=world.partnership_id, title="Board", held_on=TODAY + timedelta(days=10))
        db.session.add(meeting)
        db.session.flush()
        add_action(
            meeting,
            description="Circulate the CTLP summary",
            owner="SPOC Person",
            due_on=TODAY + timedelta(days=5),
            agenda_item_id=None,
        )
        add_action(
            meeting,
            description="Book the venue",
            owner="Someone Without Account",
            due_on=TODAY - timedelta(days=3),
            agenda_item_id=None,
        )
        add_action(
            meeting, description="Far off", owner="SPOC Person", due_on=TODAY + timedelta(days=60), agenda_item_id=None
        )
        # The SPOC's row was added last quarter and never updated: stale (plans/rules.py).
        db.session.get(PlanRow, world.row_id).created_at = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
        record_membership_review(partnership_id=world.partnership_id, reviewed_on=date(2025, 12, 1), outcome="Reviewed")
        case = closed_case(closed_on=date(2026, 5, 25), name=SECRET_NAMES[0])
        db.session.add(Panel(id=1, name="Test Channel Panel", terms_review_due_on=TODAY + timedelta(days=10)))
        course = CourseFactory(name="WRAP workshop", validity_months=36)
        organisation = db.session.get(Organisation, world.organisation_id)
        for n in range(3):
            CompletionFactory(
                person=PersonFactory(organisation=organisation),
                course=course,
                completed_on=date(2023, 12, 10 + n),
            )
        db.session.commit()
        return case.reference


def _run(app, today=TODAY):
    with app.app_context():
        return send_due(today)


def _log(app):
    with app.app_context():
        return {
            e.dedupe_key: (e.kind, e.recipient, e.status, e.attempts, e.error)
            for e in db.session.scalars(select(ReminderLog))
        }


def test_each_rule_reaches_the_right_people_once(app, world, smtp, due):
    result = _run(app)
    assert result.failed == 0 and result.sent == len(smtp.messages) > 0
    spoc = smtp.to("spoc@council.example")
    subjects = sorted(m["Subject"] for m in spoc)
    assert subjects == [
        "Board action A1 is due on 25 November 2026",
        "Update your Prevent plan before the board on 30 November 2026",
    ]
    plan_mail = next(m for m in spoc if m["Subject"].startswith("Update"))
    body = plan_mail.get_payload(decode=True).decode()
    assert "Education Prevent Action Plan: 0 overdue, 1 not updated since 1 October 2026" in body
    assert f"https://prevent.example/plans/{world.plan_id}" in body
    assert "https://prevent.example/reminders" in body

    lead = sorted(m["Subject"] for m in smtp.to("prevent_lead@council.example"))
    assert lead == ["Board action A2 was due on 17 November 2026", "Board membership review is due on 1 December 2026"]
    chair = sorted(m["Subject"] for m in smtp.to("panel_chair@council.example"))
    assert chair == [
        "Channel Panel terms of reference review is due on 30 November 2026",
        f"Post-closure review due: case {due} (6 months)",
    ]
    coordinator = smtp.to("training_coordinator@council.example")
    assert [m["Subject"] for m in coordinator] == ["Training refreshers due: 3 completions expiring"]
    assert "Test County Council, WRAP workshop: 3" in coordinator[0].get_payload(decode=True).decode()
    # Nobody else hears anything: auditors, board and panel members have nothing due.
    assert {m["To"] for m in smtp.messages} == {
        "spoc@council.example",
        "prevent_lead@council.example",
        "panel_chair@council.example",
        "training_coordinator@council.example",
    }
    # Channel material by reference only: the individual's name is in no message.
    for message in smtp.messages:
        text = message.as_string()
        assert all(name not in text for name in SECRET_NAMES)
    assert all(status == "sent" for _, _, status, _, _ in _log(app).values())

    # The same day again, and the next day: nothing new is sent.
    sent = len(smtp.messages)
    again = _run(app)
    assert (again.sent, again.already_done) == (0, sent)
    _run(app, TODAY + timedelta(days=1))
    assert len(smtp.messages) == sent


def test_two_runs_at_once_send_each_reminder_once(app, world, smtp, due):
    errors = []

    def run():
        try:
            _run(app)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    keys = [(m["To"], m["Subject"]) for m in smtp.messages]
    assert len(keys) == len(set(keys)) == len(_log(app))


def test_a_failed_delivery_is_recorded_and_retried(app, world, due, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    first = _run(app)
    assert first.sent == 0 and first.failed > 0
    log = _log(app)
    assert {status for _, _, status, _, _ in log.values()} == {"failed"}
    assert all("ConnectionRefusedError" in error for *_, error in log.values())

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=app.config["SMTP_PORT"])
    controller.start()
    try:
        second = _run(app)
    finally:
        controller.stop()
    assert second.sent == first.failed == len(inbox.messages)
    assert {(status, attempts) for _, _, status, attempts, _ in _log(app).values()} == {("sent", 2)}


def test_without_mail_configuration_reminders_are_logged_as_failed(app, world, due):
    result = _run(app)
    assert result.sent == 0 and result.failed == len(_log(app)) > 0
    assert {error for *_, error in _log(app).values()} == {"email is not configured (SMTP_HOST is not set)"}


def test_a_user_switches_off_optional_reminders_but_not_statutory_ones(app, client, world, smtp, due, login_as):
    login_as(Role.SPOC)
    page = client.get("/reminders")
    assert page.status_code == 200
    assert "Plan updates before a board" in page.get_data(as_text=True)
    response = client.post("/reminders", data={"kinds": ["board_action"]})
    assert response.status_code == 302
    client.post("/logout")
    login_as(Role.PANEL_CHAIR)
    mine = client.get("/reminders").get_data(as_text=True)
    assert "Reminders that cannot be switched off" in mine and "Post-closure reviews" in mine
    # The chair has no optional kinds: a forged post cannot switch a statutory one off.
    client.post("/reminders", data={"kinds": []})
    with app.app_context():
        assert db.session.scalars(select(ReminderOptOut.kind)).all() == ["plan_update"]
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "reminder_opt_outs")).all()
        assert [(e.action, e.actor_label) for e in audit] == [("insert", "spoc@council.example")]

    _run(app)
    assert [m["Subject"] for m in smtp.to("spoc@council.example")] == ["Board action A1 is due on 25 November 2026"]
    assert len(smtp.to("panel_chair@council.example")) == 2
    statuses = {key.split(":")[0]: status for key, (_, to, status, _, _) in _log(app).items() if to.startswith("spoc")}
    assert statuses == {"plan_update": "opted_out", "board_action": "sent"}

    # The SPOC sees both on their page, the switched-off one marked as such.
    client.post("/logout")
    login_as(Role.SPOC)
    mine = client.get("/reminders").get_data(as_text=True)
    assert "Switched off" in mine and "Board action A1 is due" in mine


def test_the_prevent_lead_reads_the_log_and_others_cannot(app, client, world, due, login_as):
    _run(app)  # mail not configured: every reminder failed
    login_as(Role.PREVENT_LEAD)
    page = client.get("/reminders/log?status=failed&recipient=panel_chair")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 reminders" in html and "panel_chair@council.example" in html
    assert "spoc@council.example" not in html
    assert "email is not configured" in html
    assert client.get("/reminders/log?status=sent").get_data(as_text=True).count("No reminders match") == 1
    client.post("/logout")
    login_as(Role.AUDITOR)
    assert client.get("/reminders/log").status_code == 403


def test_dry_run_sends_and_records_nothing(app, world, smtp, due):
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--today", TODAY.isoformat(), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "due: plan_update to spoc@council.example" in result.output
    assert smtp.messages == [] and _log(app) == {}
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"{len(smtp.messages)} sent, 0 failed" in result.output


def _self_signed(tmp_path):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # OpenSSL checks the certificate against the machine's real clock, not the suite's fixed one.
    now = dt.datetime.fromtimestamp(time.time(), dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "relay.pem", tmp_path / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_starttls_with_the_relays_own_certificate(app, world, due, monkeypatch, tmp_path):
    cert_path, key_path = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context, require_starttls=True)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
        monkeypatch.setitem(app.config, "SMTP_STARTTLS", True)
        # Not trusting the relay's certificate: refused, recorded, nothing sent in clear.
        refused = _run(app)
        assert refused.sent == 0 and inbox.messages == []
        assert all("CERTIFICATE_VERIFY_FAILED" in error for *_, error in _log(app).values())
        monkeypatch.setitem(app.config, "SMTP_CA_FILE", str(cert_path))
        accepted = _run(app)
    finally:
        controller.stop()
    assert accepted.sent == refused.failed == len(inbox.messages) > 0


def test_outside_the_panel_the_log_numbers_case_reminders_instead_of_naming_the_case(
    app, client, world, smtp, due, login_as
):
    """The post-closure review reminder goes to the panel chair by reference; the Prevent Lead's
    reminder log shows it as "review 1 of 1" (one such reminder in the list), never the reference."""
    _run(app)
    reference = due
    login_as(Role.PREVENT_LEAD)
    html = client.get("/reminders/log?kind=post_closure_review").get_data(as_text=True)
    assert "1 reminder" in html and "panel_chair@council.example" in html
    assert "Post-closure review due: review 1 of 1" in html
    assert reference not in html
    assert reference not in client.get("/reminders/log").get_data(as_text=True)
    client.post("/logout")
    # The chair, who may see references, reads their own reminder as it was sent.
    login_as(Role.PANEL_CHAIR)
    mine = client.get("/reminders").get_data(as_text=True)
    assert f"Post-closure review due: case {reference} (6 months)" in mine


def test_no_demo_reminder_to_anyone_outside_the_panel_names_a_channel_case(app, demo):
    """Every reminder the rules find in the demo partnership: those to people who may not see case
    references hold none of the demo's references (read from the cases table)."""
    from sqlalchemy import text

    from core.reminders import due_reminders
    from tests.conftest import TEST_TODAY

    with app.app_context():
        references = set(db.session.scalars(text("SELECT reference FROM channel_cases")))
        assert len(references) == 12
        found = due_reminders(TEST_TODAY)
        outside = [r for r in found if not ({Role.PANEL_CHAIR, Role.PANEL_MEMBER} & r.user.role_set)]
        assert outside, "the demo has reminders for people outside the panel"
        for reminder in outside:
            message = f"{reminder.subject}\n{reminder.body}"
            assert not [ref for ref in references if ref in message], reminder.subject
        case_reminders = [r for r in found if r.kind.value == "post_closure_review"]
        assert case_reminders and {Role.PANEL_CHAIR} <= set.intersection(
            *(set(r.user.role_set) for r in case_reminders)
        )
