"""The layout's plain markup is the GOV.UK components' own: the skip link and the service
navigation in base.html render exactly what govukSkipLink and govukServiceNavigation render for
the same items (whitespace aside), for every role's navigation and with an active item."""

import re

import pytest
from flask import render_template_string
from flask_login import login_user

from core.extensions import db
from core.models import User
from core.vocab import Role

NAV_MACRO = (
    '{% from "govuk_frontend_jinja/components/service-navigation/macro.html" import govukServiceNavigation %}'
    '{{ govukServiceNavigation({"navigation": navigation(), "navigationLabel": "Main menu"}) }}'
)
SKIP_MACRO = (
    '{% from "govuk_frontend_jinja/components/skip-link/macro.html" import govukSkipLink %}'
    '{{ govukSkipLink({"text": "Skip to main content", "href": "#main-content"}) }}'
)
PAGE = '{% extends "base.html" %}{% block title %}T{% endblock %}{% block content %}<p>C</p>{% endblock %}'


def squeeze(markup: str) -> str:
    """Whitespace between and inside tags does not change what is shown or announced."""
    markup = re.sub(r">\s+", ">", markup)
    markup = re.sub(r"\s+<", "<", markup)
    markup = re.sub(r"\s+", " ", markup)
    return markup.replace(" >", ">").strip()


def between(markup: str, start: str, end: str) -> str:
    begin = markup.index(start)
    return markup[begin : markup.index(end, begin)]


@pytest.mark.parametrize("role", [Role.PREVENT_LEAD, Role.SPOC, Role.AUDITOR, Role.REGIONAL_COORDINATOR])
@pytest.mark.parametrize("path", ["/plans", "/account/password"])
def test_the_layouts_plain_markup_is_what_the_govuk_macros_render(app, world, role, path):
    with app.test_request_context(path):
        user = db.session.get(User, world.users[role].id)
        login_user(user)
        page = squeeze(render_template_string(PAGE))
        nav = squeeze(render_template_string(NAV_MACRO))
        skip = squeeze(render_template_string(SKIP_MACRO))
    assert 'class="govuk-service-navigation__list"' in nav  # the role has a menu to compare
    ours = between(page, '<div class="govuk-service-navigation"', '<div class="govuk-width-container ')
    assert ours == nav
    assert skip in page and page.count('<a href="#main-content"') == 1
    if path == "/plans" and role is Role.PREVENT_LEAD:
        assert 'aria-current="true"' in ours and "govuk-service-navigation__item--active" in ours
