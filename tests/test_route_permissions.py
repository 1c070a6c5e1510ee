"""Every registered route against every role: a route added without a policy fails here.

EXPECTED is written out by hand (not derived from the policy module), so a change to who
may reach a page is a deliberate change to this table.
"""

import pytest

from core.vocab import Role
from tests.conftest import sign_in

ALL = frozenset(Role)
PUBLIC = "public"
LEAD = {Role.PREVENT_LEAD}
READERS = {
    Role.PREVENT_LEAD,
    Role.SPOC,
    Role.BOARD_MEMBER,
    Role.PANEL_CHAIR,
    Role.PANEL_MEMBER,
    Role.TRAINING_COORDINATOR,
    Role.AUDITOR,
}
AUDIT = {Role.PREVENT_LEAD, Role.AUDITOR}
PLAN_READERS = {Role.PREVENT_LEAD, Role.SPOC, Role.BOARD_MEMBER, Role.AUDITOR}
PLAN_EDITORS = {Role.PREVENT_LEAD, Role.SPOC}

#: endpoint -> roles allowed (or PUBLIC)
EXPECTED = {
    "static": PUBLIC,
    "govuk_assets": PUBLIC,
    "vendor": PUBLIC,
    "auth.login": PUBLIC,
    "main.health": PUBLIC,
    "auth.logout": ALL,
    "auth.change_password": ALL,
    "main.home": ALL,
    "users.list_users": LEAD,
    "users.create_user": LEAD,
    "users.show_user": LEAD,
    "users.edit_user": LEAD,
    "users.set_password": LEAD,
    "users.deactivate_user": LEAD,
    "users.reactivate_user": LEAD,
    "users.unlock_user": LEAD,
    "audit.list_entries": AUDIT,
    "audit.export_entries": AUDIT,
    "audit.security_events": AUDIT,
    "partnership.list_organisations": READERS,
    "partnership.create_organisation": LEAD,
    "partnership.edit_organisation": LEAD,
    "spoc.list_areas": READERS,
    "spoc.show_area": READERS,
    "spoc.create_area": LEAD,
    "spoc.edit_area": LEAD,
    "spoc.record_referrals": PLAN_EDITORS,
    "plans.overview": PLAN_READERS,
    "plans.show_plan": PLAN_READERS,
    "plans.show_row": PLAN_READERS,
    "plans.download_evidence": PLAN_READERS,
    "plans.create_plan": PLAN_EDITORS,
    "plans.edit_plan": PLAN_EDITORS,
    "plans.edit_columns": PLAN_EDITORS,
    "plans.create_row": PLAN_EDITORS,
    "plans.edit_row": PLAN_EDITORS,
    "plans.record_progress": PLAN_EDITORS,
    "plans.upload_evidence": PLAN_EDITORS,
    "plans_transfer.import_plan": PLAN_EDITORS,
    "plans_transfer.confirm_import": PLAN_EDITORS,
    "plans_transfer.export_plans": PLAN_READERS,
}

#: Allowed roles may get 404 here: the test has no real token to offer.
TOKEN_ROUTES = {"plans_transfer.confirm_import"}


def _url_args(rule, world) -> dict:
    values = {
        "user_id": world.users[Role.SPOC].id,
        "organisation_id": world.organisation_id,
        "area_id": world.area_id,
        "filename": "css/app.css" if rule.endpoint == "static" else "images/favicon.svg",
        "name": "govuk-frontend.min.js",
        "plan_id": world.plan_id,
        "row_id": world.row_id,
        "document_id": world.evidence_id,
        "file_id": world.evidence_id,
        "token": "not-a-real-token",
        "quarter": "2026-q3",
    }
    return {arg: values[arg] for arg in rule.arguments}


def _routes(app):
    return [rule for rule in app.url_map.iter_rules()]


def test_every_route_has_an_expectation(app):
    endpoints = {rule.endpoint for rule in _routes(app)}
    missing = endpoints - EXPECTED.keys()
    assert not missing, f"routes with no entry in EXPECTED (add a policy and a row): {sorted(missing)}"
    stale = EXPECTED.keys() - endpoints
    assert not stale, f"EXPECTED lists routes that no longer exist: {sorted(stale)}"


def test_every_non_public_view_declares_a_permission(app):
    for endpoint, view in app.view_functions.items():
        if EXPECTED.get(endpoint) == PUBLIC:
            assert getattr(view, "is_public", False), endpoint
        else:
            assert getattr(view, "required_permission", None) is not None, f"{endpoint} has no @requires"


def _method(rule) -> str:
    return "GET" if "GET" in rule.methods else "POST"


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_route_outcomes_for_role(app, world, role):
    """Allowed roles never get 403; refused roles always do; anonymous users go to sign in."""
    failures = []
    for rule in _routes(app):
        client = app.test_client()
        if role is not None:
            assert sign_in(client, world.users[role].email).status_code == 302
        url = rule.build(_url_args(rule, world), append_unknown=False)[1]
        method = _method(rule)
        response = client.open(url, method=method)
        expected = EXPECTED[rule.endpoint]
        status = response.status_code
        if expected == PUBLIC:
            ok = status in (200, 302)
        elif role is None:
            ok = status == 302 and "/login" in response.headers["Location"]
        elif role in expected:
            ok = status in (200, 302, 400) or (status == 404 and rule.endpoint in TOKEN_ROUTES)
        else:
            ok = status == 403
        if not ok:
            failures.append(f"{method} {url} as {role}: {status}")
    assert not failures, "\n".join(failures)
