"""The policy module on its own: role permissions and object checks."""

from types import SimpleNamespace

import pytest

from core.permissions import (
    Permission,
    can_delete_plan,
    can_edit_area,
    can_see_case_references,
    can_see_channel_personal,
    can_update_plan_from_file,
    has_permission,
    permissions_for,
    year_limit,
)
from core.vocab import Role


def actor(*roles, areas=(), active=True):
    return SimpleNamespace(role_set=frozenset(roles), lead_area_ids=frozenset(areas), is_active=active)


def test_spoc_edits_only_their_own_areas():
    spoc = actor(Role.SPOC, areas={3, 5})
    assert can_edit_area(spoc, 3)
    assert can_edit_area(spoc, 5)
    assert not can_edit_area(spoc, 4)


def test_a_spoc_updates_only_their_own_areas_plans_from_a_file():
    spoc = actor(Role.SPOC, areas={3})
    assert can_update_plan_from_file(spoc, 3)
    assert not can_update_plan_from_file(spoc, 4)
    assert not can_update_plan_from_file(spoc, None)  # the county plan is the Prevent Lead's
    assert can_update_plan_from_file(actor(Role.PREVENT_LEAD), None)
    assert not can_update_plan_from_file(actor(Role.AUDITOR), 3)


def test_only_the_prevent_lead_deletes_a_plan_and_only_before_anything_is_recorded():
    assert can_delete_plan(actor(Role.PREVENT_LEAD), recorded_since_import=False)
    assert not can_delete_plan(actor(Role.PREVENT_LEAD), recorded_since_import=True)
    assert not can_delete_plan(actor(Role.SPOC, areas={3}), recorded_since_import=False)
    assert not can_delete_plan(actor(Role.PREVENT_LEAD, active=False), recorded_since_import=False)


def test_prevent_lead_edits_every_area():
    assert can_edit_area(actor(Role.PREVENT_LEAD), 99)


@pytest.mark.parametrize(
    "role", [Role.BOARD_MEMBER, Role.AUDITOR, Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.TRAINING_COORDINATOR]
)
def test_other_roles_edit_no_area_even_if_assigned(role):
    assert not can_edit_area(actor(role, areas={1}), 1)


def test_deactivated_user_has_no_permissions():
    lead = actor(Role.PREVENT_LEAD, active=False)
    assert not has_permission(lead, Permission.SIGNED_IN)
    assert not can_edit_area(lead, 1)


def test_anonymous_has_no_permissions():
    assert not has_permission(None, Permission.SIGNED_IN)


def test_only_panel_roles_see_personal_case_details():
    allowed = {role for role in Role if can_see_channel_personal(actor(role))}
    assert allowed == {Role.PANEL_CHAIR, Role.PANEL_MEMBER}


def test_auditor_reads_but_does_not_manage():
    granted = permissions_for([Role.AUDITOR])
    assert Permission.VIEW_AUDIT in granted
    assert Permission.WRITE_FINDINGS in granted
    writes = {p for p in granted if p.value.startswith(("manage_", "edit_"))}
    assert writes == set()
    assert Permission.VIEW_CHANNEL_CASES not in granted


def test_permissions_are_the_union_of_roles():
    both = permissions_for([Role.SPOC, Role.PANEL_CHAIR])
    assert Permission.EDIT_PLANS in both
    assert Permission.MANAGE_CHANNEL in both
    assert both == permissions_for([Role.SPOC]) | permissions_for([Role.PANEL_CHAIR])


def test_every_role_has_a_policy():
    for role in Role:
        assert Permission.SIGNED_IN in permissions_for([role])


def test_only_panel_roles_see_case_references():
    allowed = {role for role in Role if can_see_case_references(actor(role))}
    assert allowed == {Role.PANEL_CHAIR, Role.PANEL_MEMBER}


def test_the_anonymised_log_is_the_prevent_leads_and_the_panels():
    readers = {role for role in Role if has_permission(actor(role), Permission.VIEW_CHANNEL_LOG)}
    assert readers == {Role.PREVENT_LEAD, Role.PANEL_CHAIR, Role.PANEL_MEMBER}
    counts = {role for role in Role if has_permission(actor(role), Permission.VIEW_CHANNEL_COUNTS)}
    assert counts == readers | {Role.AUDITOR}
    figures = {role for role in Role if has_permission(actor(role), Permission.VIEW_CHANNEL_FIGURES)}
    assert figures == counts | {Role.BOARD_MEMBER}


def test_year_limit_is_the_auditors_one_year_or_none():
    from datetime import date

    limited = SimpleNamespace(audit_year=2025)
    assert year_limit(limited) == (date(2025, 1, 1), date(2025, 12, 31))
    assert year_limit(SimpleNamespace(audit_year=None)) is None
    assert year_limit(None) is None
