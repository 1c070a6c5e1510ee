"""Signing in through a real browser: every role, a wrong password, the keyboard, and the CSP."""

import re
import struct

import pytest
from playwright.sync_api import Page, expect

from core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from partnership.demo import DEMO_LOGINS
from tests.browser.conftest import (
    DEMO_NAMES,
    LIVE_APPS,
    assert_no_axe_violations,
    expect_home,
    new_context,
    sign_in,
)
from tests.conftest import unused_code

GOVUK_BLACK = "rgb(11, 12, 12)"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(("role", "email"), DEMO_LOGINS, ids=[role.value for role, _ in DEMO_LOGINS])
def test_each_role_signs_in_and_lands_home(page: Page, tmp_path, role, email):
    sign_in(page, email)

    expect_home(page, DEMO_NAMES[email])
    # The stylesheet loaded: the masthead is GOV.UK black and the heading is GOV.UK type in Arial.
    expect(page.locator(".app-masthead")).to_have_css("background-color", GOVUK_BLACK)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_css("font-family", re.compile(r"^arial", re.IGNORECASE))
    expect(heading).to_have_css("font-weight", "700")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    shot = tmp_path / f"{role}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.exists()
    data = shot.read_bytes()
    width, height = png_size(data)
    assert width == 1280 and height >= 800, (width, height)
    assert len(data) > 20_000, f"{shot} is only {len(data)} bytes"

    assert_no_axe_violations(page)


def test_login_page_has_no_axe_violations(page: Page):
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    # CSRF protection is on in the live app: the form carries a token.
    token = page.locator('form input[name="csrf_token"]')
    expect(token).to_have_count(1)
    assert len(token.get_attribute("value") or "") > 20

    assert_no_axe_violations(page)


def test_wrong_password_shows_error_summary(page: Page):
    _, email = DEMO_LOGINS[0]
    sign_in(page, email, DEMO_PASSWORD + "-wrong")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link", name="Enter a correct email address and password")).to_have_attribute(
        "href", "#email"
    )
    expect(page.locator("#email-error")).to_contain_text("Enter a correct email address and password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    assert page.url.endswith("/login")
    # The email is kept; the password is not sent back.
    expect(page.get_by_label("Email address")).to_have_value(email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")

    assert_no_axe_violations(page)


def test_keyboard_sign_in(page: Page):
    role, email = DEMO_LOGINS[0]
    page.goto("/login")

    def focused() -> dict:
        return page.evaluate(
            "() => ({tag: document.activeElement.tagName, id: document.activeElement.id,"
            " text: document.activeElement.textContent.trim()})"
        )

    page.keyboard.press("Tab")
    first = focused()
    assert first["tag"] == "A" and first["text"] == "Skip to main content", first

    seen = [first]
    for _ in range(5):
        if seen[-1]["id"] == "email":
            break
        page.keyboard.press("Tab")
        seen.append(focused())
    assert seen[-1]["id"] == "email", f"Tab never reached the email field: {seen}"
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused()["id"] == "password", focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    # The Prevent Lead uses two-factor authentication: the code, by keyboard too.
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.keyboard.press("Tab")
    for _ in range(6):
        if focused()["id"] == "code":
            break
        page.keyboard.press("Tab")
    assert focused()["id"] == "code", focused()
    page.keyboard.type(unused_code(LIVE_APPS[-1], email, DEMO_TOTP_SECRET))
    page.keyboard.press("Enter")

    expect_home(page, DEMO_NAMES[email])


def test_page_scripts_load_under_the_csp(browser, live_server, demo):
    """With the CSP enforced, the page's own module script runs and nothing is refused."""
    context = new_context(browser, live_server, bypass_csp=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    try:
        response = page.goto("/login")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # app.mjs ran (and imported GOV.UK Frontend): it marks the body as supported.
        expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
        # GOV.UK Frontend's password input added its "Show" button.
        expect(page.get_by_role("button", name="Show password")).to_be_visible()

        sign_in(page, DEMO_LOGINS[0][1])
        expect_home(page, DEMO_NAMES[DEMO_LOGINS[0][1]])
        expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))

        csp_errors = [e for e in errors if "Content Security Policy" in e]
        assert csp_errors == [], csp_errors
        assert errors == [], errors

        # The listener does catch a refusal: inline script is blocked and reported.
        with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            page.evaluate(
                "() => { const s = document.createElement('script');"
                " s.textContent = 'window.inlineRan = true'; document.body.append(s); }"
            )
        assert page.evaluate("() => window.inlineRan === undefined")
    finally:
        context.close()
