"""Browser fixtures: the app served on a free port with CSRF on, one chromium, the demo data.

The live app uses the same database as the session's ``app`` fixture, so the clean-up after
each test (tests/conftest.py) empties it, and a test may check the database directly.
"""

import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from core.app import create_app
from core.demo import DEMO_PASSWORD
from core.extensions import db
from partnership.demo import PEOPLE
from tests.conftest import unused_code

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 10_000
#: The demo people's full names by email.
DEMO_NAMES = {email: name for name, email, *_ in PEOPLE}
HOME_URL = re.compile(r"^http://127\.0\.0\.1:\d+/$")
#: The live app (one per session), for sign_in to look up which TOTP step is unused.
LIVE_APPS: list = []


@pytest.fixture(scope="session")
def live_server(app):
    """The base URL of the app served from a background thread, with CSRF protection on."""
    live_app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
        WTF_CSRF_ENABLED=True,
    )
    assert live_app.config["WTF_CSRF_ENABLED"] is True
    LIVE_APPS.append(live_app)
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(browser, live_server, *, bypass_csp: bool):
    context = browser.new_context(base_url=live_server, bypass_csp=bypass_csp, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser, live_server, demo):
    """A page in a fresh context. The CSP is bypassed so that axe can be injected inline."""
    context = new_context(browser, live_server, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD, *, secret: str | None = None) -> None:
    """Sign in as a person would; accounts with two-factor authentication (the demo's Prevent
    Lead, panel chair and members and auditor) then type the code their app shows."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():  # the form posts: a new page either way (home, code, or errors)
        page.get_by_role("button", name="Sign in").click()
    if urlsplit(page.url).path == "/login/two-factor":
        page.get_by_label("Code").fill(unused_code(LIVE_APPS[-1], email, secret))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


def path_of(page: Page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


#: WCAG 2.2 A and AA (with the 2.0 and 2.1 rules it includes), plus axe's best practices. Naming
#: the tags also runs rules axe leaves off by default, such as target-size (WCAG 2.2, 2.5.8).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it stands; the violations found."""
    # After a click that navigates, the new page may still be loading its stylesheet: axe on an
    # unstyled page finds what no user sees (it did, under load). Scan once it has loaded.
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    # Details for violations only (resultTypes), which keeps the scan of a long page quick.
    options = "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}"
    result = page.evaluate(f"async (tags) => await axe.run(document, {options})", AXE_TAGS)
    # A sanity check that axe really ran: it always passes some rules on a real page.
    assert result["passes"], "axe reported no passing rules: did it run?"
    return result["violations"]


def axe_report(violations: list[dict]) -> str:
    """Each violation's id, help and the elements it was found on."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page) -> None:
    """Run axe-core (WCAG 2.2 AA) on the page as it stands; fail with each violation's id, help and targets."""
    violations = axe_violations(page)
    assert violations == [], f"axe found {len(violations)} violation(s) on {path_of(page)}:\n{axe_report(violations)}"


def expect_home(page: Page, full_name: str) -> None:
    """The page is the home page ("/") welcoming this person."""
    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {full_name}")
