"""Accessibility: every page each demo role can reach, scanned with axe-core (WCAG 2.2 AA), and the
SPOC update path and the board pack path done with the keyboard alone.

The pages come from app.url_map (GET routes that answer HTML) with real ids from the demo data, so
a new page is swept without editing this file; a new kind of URL argument fails the sweep until
RECORD_IDS says where to find one.
"""

import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import text

from core.extensions import db
from partnership.demo import DEMO_LOGINS
from tests.browser.conftest import axe_report, axe_violations, new_context, path_of, sign_in
from tests.browser.test_plans_ui import LEAD, PLAN_TITLE, SPOC, latest_update
from tests.test_route_permissions import ALL, EXPECTED, PUBLIC

#: Routes that are not pages: files, assets, the health check.
NOT_PAGES = {"static", "govuk_assets", "vendor", "main.health"}
#: Single sign-on's start and callback redirect to a provider (none is set up here); the pages
#: they can show are scanned in test_sso_ui.py against a real provider.
NOT_PAGES |= {"sso.start_sign_in", "sso.finish_sign_in"}
#: URL argument -> SQL giving a real value from the demo data. Arguments that must belong together
#: (a row of the plan, an item of the meeting, a review of the case) come from one query.
RECORD_IDS = {
    ("plan_id", "row_id", "file_id", "document_id"): (
        "SELECT r.plan_id, r.id, e.id, e.document_id FROM evidence_files e JOIN plan_rows r ON r.id = e.row_id "
        "JOIN plans p ON p.id = r.plan_id JOIN spoc_assignments s ON s.area_id = p.area_id "
        "JOIN users u ON u.id = s.user_id WHERE u.email = :spoc ORDER BY e.id"
    ),
    ("area_id",): ("SELECT s.area_id FROM spoc_assignments s JOIN users u ON u.id = s.user_id WHERE u.email = :spoc"),
    ("user_id",): "SELECT id FROM users WHERE email = :spoc",
    ("organisation_id",): "SELECT organisation_id FROM training_headcounts ORDER BY id",
    ("member_id",): "SELECT id FROM board_members ORDER BY id",
    ("meeting_id", "item_id"): "SELECT meeting_id, id FROM agenda_items ORDER BY meeting_id, id",
    ("paper_id",): "SELECT id FROM meeting_papers ORDER BY id",
    ("action_id",): "SELECT id FROM board_actions ORDER BY id",
    ("case_id", "support_item_id", "case_review_id"): (
        "SELECT s.case_id, s.id, r.id FROM channel_support_items s "
        "JOIN channel_post_closure_reviews r ON r.case_id = s.case_id ORDER BY s.case_id, s.id, r.id"
    ),
    ("panel_meeting_id",): "SELECT id FROM channel_panel_meetings ORDER BY held_on DESC",
    ("panel_member_id",): "SELECT id FROM channel_panel_members ORDER BY id",
    ("session_id",): "SELECT id FROM training_sessions ORDER BY id",
    ("headcount_id",): "SELECT id FROM training_headcounts ORDER BY id",
    ("person_id",): "SELECT id FROM training_people ORDER BY id",
    ("completion_id",): "SELECT id FROM training_completions ORDER BY id",
    ("course_id",): "SELECT id FROM training_courses ORDER BY id",
    ("facilitator_id",): "SELECT id FROM training_facilitators ORDER BY id",
    ("assessment_id", "expectation_id", "year"): (
        "SELECT a.id, e.id, a.year FROM compliance_assessments a "
        "JOIN compliance_expectations e ON e.assessment_id = a.id ORDER BY a.id DESC, e.id"
    ),
    ("finding_id",): "SELECT id FROM compliance_findings WHERE status = 'open' ORDER BY id",
}
#: Arguments that are not record ids.
FIXED_ARGS = {"part": "agenda", "quarter": "2026-q3", "fmt": "pdf"}
#: Files, not pages.
DOWNLOADS = (".pdf", ".ics", ".csv", ".xlsx")
#: Pages reached only through an upload (their token is made by the upload itself).
NEEDS_UPLOAD = {"token"}


def record_ids(app) -> dict[str, object]:
    values: dict[str, object] = dict(FIXED_ARGS)
    with app.app_context():
        for names, sql in RECORD_IDS.items():
            row = db.session.execute(text(sql), {"spoc": SPOC}).first()
            if row is not None:
                values.update(zip(names, row, strict=True))
    return values


def page_urls(app, role, values) -> tuple[list[str], list[str]]:
    """(URLs of the GET pages this role may reach, endpoints left out for want of a record)."""
    urls, unreached = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        allowed = EXPECTED[rule.endpoint]
        if allowed != PUBLIC and allowed != ALL and role not in allowed:
            continue
        unknown = set(rule.arguments) - set(values) - NEEDS_UPLOAD - {n for names in RECORD_IDS for n in names}
        assert not unknown, f"{rule.endpoint}: add where to find {sorted(unknown)} to RECORD_IDS"
        if not set(rule.arguments) <= set(values):
            unreached.append(rule.endpoint)
            continue
        urls.append(rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1])
    return sorted(set(urls)), unreached


#: The structure of the page's main content: every element with its attributes (values kept,
#: except links, form values and data attributes, which vary with the record and not the markup)
#: and whether it holds text. Two roles given the same structure get the same axe result, so the
#: second is not scanned again; a role that sees another button, field or tag is.
MAIN_STRUCTURE_JS = """() => {
  const varying = new Set(['href', 'value', 'action', 'content']);
  const lines = [];
  const visit = (node, depth) => {
    for (const el of node.children) {
      const attrs = el.getAttributeNames().sort().map(
        name => varying.has(name) || name.startsWith('data-') ? name : name + '=' + el.getAttribute(name));
      const text = [...el.childNodes].some(t => t.nodeType === 3 && t.textContent.trim()) ? ' text' : '';
      lines.push(depth + ' ' + el.tagName + ' ' + attrs.join(' ') + text);
      visit(el, depth + 1);
    }
  };
  visit(document.querySelector('main') || document.body, 0);
  return lines.join('\\n');
}"""


def test_every_page_each_role_reaches_meets_wcag_22_aa(app, browser, live_server, demo):
    values = record_ids(app)
    scanned, failures, skipped = [], [], set()
    structures: set[str] = set()
    visited = 0
    started = time.monotonic()
    for role, email in DEMO_LOGINS:
        context = new_context(browser, live_server, bypass_csp=True)
        page = context.new_page()
        sign_in(page, email)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        urls, unreached = page_urls(app, role, values)
        skipped.update(unreached)
        for url in urls:
            if url == "/login":
                continue  # signed in, the sign-in page sends you home; it is scanned below
            if url.endswith(DOWNLOADS):
                continue
            try:
                response = page.goto(url)
            except PlaywrightError as error:
                if "Download is starting" in str(error):
                    continue  # a file, not a page
                raise
            if response.status != 200 or not response.headers.get("content-type", "").startswith("text/html"):
                continue  # a page this role's record does not open
            visited += 1
            # Each role's first page is scanned whole (its own header and navigation); after that a
            # page whose main content has a structure already scanned for another role is not.
            structure = page.evaluate(MAIN_STRUCTURE_JS)
            if structure in structures and url != "/":
                continue
            structures.add(structure)
            violations = axe_violations(page)
            scanned.append(f"{role.value} {path_of(page)}")
            if violations:
                failures.append(f"{role.value} {url}:\n{axe_report(violations)}")
        context.close()
    context = new_context(browser, live_server, bypass_csp=True)
    page = context.new_page()
    page.goto("/login")
    violations = axe_violations(page)
    scanned.append(f"anonymous {path_of(page)}")
    if violations:
        failures.append(f"anonymous /login:\n{axe_report(violations)}")
    context.close()
    distinct = {s.split(" ", 1)[1] for s in scanned}
    print(
        f"\nAXE: {visited} pages visited, {len(scanned)} scanned ({len(distinct)} distinct URLs; the rest had a "
        f"structure already scanned) for {len(DEMO_LOGINS)} roles in {time.monotonic() - started:.0f} s; "
        f"no demo record for: {sorted(skipped)}"
    )
    assert visited > 200, f"only {visited} pages visited"
    assert len(distinct) > 100, f"only {len(distinct)} distinct pages scanned"
    assert not failures, f"{len(failures)} page(s) with violations:\n" + "\n".join(failures)


# --- keyboard only ---------------------------------------------------------------------------


def tab_to(page: Page, target: Locator, *, limit: int = 120, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` (or one of the elements it matches) has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate_all("els => els.includes(document.activeElement)"):
            return
    raise AssertionError(f"{target} never took the focus after {limit} presses of {key}")


def keyboard_sign_in(page: Page, email: str) -> None:
    from core.demo import DEMO_PASSWORD

    page.goto("/login")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if page.url.endswith("/login/two-factor"):
        from core.demo import DEMO_TOTP_SECRET
        from tests.browser.conftest import LIVE_APPS
        from tests.conftest import unused_code

        tab_to(page, page.get_by_label("Code"))
        page.keyboard.type(unused_code(LIVE_APPS[-1], email, DEMO_TOTP_SECRET))
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_spoc_records_progress_with_the_keyboard_alone(app, browser, live_server, demo):
    context = new_context(browser, live_server, bypass_csp=False)
    page = context.new_page()
    keyboard_sign_in(page, SPOC)
    # The skip link is the first stop, and it is visible when focused.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()

    tab_to(page, page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Plans"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/plans")
    tab_to(page, page.get_by_role("link", name=PLAN_TITLE))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAN_TITLE)
    tab_to(page, page.get_by_role("link", name="Update progress for row 4"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Update this row")).to_be_visible()

    tab_to(page, page.get_by_label("Progress update"))
    page.keyboard.type("Keyboard-only update: assemblies planned for every school")
    # Radios: Tab reaches the group (at its checked radio), arrows move through it, Space selects.
    green = page.get_by_role("radio", name="Green", exact=True)
    tab_to(page, page.get_by_role("radio"))
    for _ in range(6):
        if green.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("ArrowDown")
    expect(green).to_be_focused()
    page.keyboard.press("Space")
    expect(green).to_be_checked()
    # Back up with Shift+Tab to check the text is still there, then on to the button.
    tab_to(page, page.get_by_label("Progress update"), backwards=True)
    expect(page.get_by_label("Progress update")).to_have_value(
        "Keyboard-only update: assemblies planned for every school"
    )
    tab_to(page, page.get_by_role("button", name="Save progress update"))
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Progress update saved.")
    update = latest_update(app, PLAN_TITLE, "Refer vulnerable pupils")
    assert update.items == ["Keyboard-only update: assemblies planned for every school"]
    assert update.rag == "green"
    context.close()


def test_prevent_lead_downloads_the_board_pack_with_the_keyboard_alone(browser, live_server, demo):
    context = new_context(browser, live_server, bypass_csp=False)
    page = context.new_page()
    keyboard_sign_in(page, LEAD)
    tab_to(page, page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Board"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/board")
    href = page.locator("main a").evaluate_all(
        "links => links.map(a => a.getAttribute('href')).find(h => /^\\/board\\/meetings\\/\\d+$/.test(h))"
    )
    next_meeting = page.locator(f"main a[href='{href}']").first
    title = next_meeting.inner_text()
    tab_to(page, next_meeting)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    pack = page.get_by_role("link", name="Download the board pack (PDF)")
    tab_to(page, pack)
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename.startswith("board-pack-")
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    context.close()
