"""Two-factor set-up and sign-in with a code and with a recovery code, and a password reset from
the email read off a real SMTP server on loopback, in the browser."""

import re

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core import clock
from core.demo import DEMO_PASSWORD
from core.extensions import db
from core.models import SecurityEvent
from tests.browser.conftest import DEMO_NAMES, LIVE_APPS, assert_no_axe_violations, expect_home, sign_in
from tests.conftest import unused_code
from tests.core.test_reminders import Inbox, _free_port

SPOC = "priya.natarajan@cambridgeshire.example"


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def password_step(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def event_kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))


def test_set_up_two_factor_then_sign_in_with_a_code_and_with_a_recovery_code(app, page: Page):
    sign_in(page, SPOC)
    expect_home(page, DEMO_NAMES[SPOC])
    page.get_by_role("link", name="Two-factor").click()
    page.get_by_role("link", name="Set up two-factor authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_no_axe_violations(page)
    secret = page.locator("#two-factor-key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    # A wrong first code is refused with a message; the right one turns it on.
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code your authenticator app shows")
    secret = page.locator("#two-factor-key").inner_text().replace(" ", "")  # a new key each time the page is shown
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication is on")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_no_axe_violations(page)
    page.get_by_role("link", name="I have saved my codes").click()
    sign_out(page)

    # Signing in now asks for the code from the app.
    password_step(page, SPOC)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert_no_axe_violations(page)
    # (The code of the step after the one used to turn it on, if that step has not passed: each works once.)
    page.get_by_label("Code").fill(unused_code(LIVE_APPS[-1], SPOC, secret))
    page.get_by_role("button", name="Continue").click()
    expect_home(page, DEMO_NAMES[SPOC])
    sign_out(page)

    # And a recovery code works in its place, once.
    password_step(page, SPOC)
    page.get_by_text("I cannot use my authenticator app").click()
    page.get_by_label("Code").fill(codes[3])
    page.get_by_role("button", name="Continue").click()
    expect_home(page, DEMO_NAMES[SPOC])
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You used a recovery code. You have 9 left")
    sign_out(page)
    password_step(page, SPOC)
    page.get_by_label("Code").fill(codes[3])
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#code-error")).to_contain_text("Enter a correct code from your authenticator app")

    kinds = event_kinds(app)
    assert kinds.count("two_factor_enrolled") == 1
    assert kinds.count("recovery_code_used") == 1


def test_password_reset_from_the_email(app, page: Page, monkeypatch):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    live = LIVE_APPS[-1]
    monkeypatch.setitem(live.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live.config, "SMTP_PORT", controller.port)
    monkeypatch.setitem(live.config, "SMTP_STARTTLS", False)
    try:
        page.goto("/login")
        monkeypatch.setitem(live.config, "APP_BASE_URL", re.match(r"^http://[^/]+", page.url).group(0))
        page.get_by_role("link", name="Forgotten your password?").click()
        assert_no_axe_violations(page)
        page.get_by_label("Email address").fill(SPOC)
        page.get_by_role("button", name="Send a reset link").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
        (message,) = inbox.to(SPOC)
        link = re.search(r"(http://\S+/password/reset\?token=\S+)", message.get_payload(decode=True).decode()).group(1)
        page.goto(link)
        expect(page).to_have_url(re.compile(r"/password/reset$"))  # the token left the address bar
        expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
        assert_no_axe_violations(page)
        page.get_by_label("New password", exact=True).fill("Granite-Harbour-Lantern-9")
        page.get_by_label("Confirm new password").fill("Granite-Harbour-Lantern-9")
        page.get_by_role("button", name="Set new password").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Your password has been changed")
        sign_in(page, SPOC, "Granite-Harbour-Lantern-9")
        expect_home(page, DEMO_NAMES[SPOC])
        # The link works once.
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    finally:
        controller.stop()
    kinds = event_kinds(app)
    assert kinds.count("password_reset_requested") == 1 and kinds.count("password_reset_done") == 1
