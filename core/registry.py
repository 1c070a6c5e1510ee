"""What each domain package adds to the kernel, and the one place that asks them.

The app factory imports the packages named in the PACKAGES setting (config.py), lowest layer
first, and calls each one's ``register(app, parts)``. A package registers its blueprints and CLI
groups on the app itself, and hands the kernel what the kernel runs without knowing the domain:
navigation links, home-page panels, reminder rules, retention schedules and demo loaders. The kernel imports no
domain package; it only runs what it was handed, in the order it was handed.
"""

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask, current_app

EXTENSION = "domain_parts"


@dataclass(frozen=True)
class NavItem:
    """A link in the service navigation, shown to users with ``permission``."""

    text: str
    endpoint: str
    permission: str
    #: Endpoint prefixes that mark the link as the current section.
    prefixes: tuple[str, ...]
    #: Position from the left (lower first).
    order: int


@dataclass(frozen=True)
class HomePanel:
    """A section of the home page: ``context(user)`` returns the template's ``panel`` values, or
    None when the panel has nothing for this user (it is then left out)."""

    template: str
    context: Callable[[Any], dict | None]
    #: Position from the top (lower first).
    order: int


@dataclass
class DemoContext:
    """What the demo loaders build on, filled in by the loaders that run first."""

    today: date
    partnership: Any = None
    #: short name -> Organisation
    organisations: dict = field(default_factory=dict)
    #: email -> User
    users: dict = field(default_factory=dict)
    #: name -> BusinessArea
    areas: dict = field(default_factory=dict)
    #: 1 for the demo partnership; 2 for the second one `flask demo-data --partnerships 2` adds
    #: to try the isolation between partnerships (its people and places renamed afterwards).
    variant: int = 1

    def email(self, address: str) -> str:
        """A demo person's sign-in email in this variant (emails are unique across partnerships)."""
        if self.variant == 1:
            return address
        local, _, domain = address.partition("@")
        return f"{local}@second.{domain}"


@dataclass
class Parts:
    navigation: list[NavItem] = field(default_factory=list)
    home_panels: list[HomePanel] = field(default_factory=list)
    #: Functions of today's date that yield the reminders due (core.reminders.Reminder).
    reminder_rules: list[Callable[[date], Iterable]] = field(default_factory=list)
    #: Functions of a DemoContext that add a domain's demo records (the caller commits).
    demo_loaders: list[Callable[[DemoContext], None]] = field(default_factory=list)
    #: Place names the second demo partnership uses for the first's (old -> new).
    demo_second_places: dict = field(default_factory=dict)
    #: (role, email): one demo sign-in per role, printed by `flask demo-data`.
    demo_logins: list[tuple] = field(default_factory=list)
    #: The day of the last meeting before a date at which the plans were reviewed (the board's
    #: last meeting), or None: "what changed since" is measured from it. Handed down by the
    #: board, which sits above the plans.
    last_review_before: Callable[[date], date | None] | None = None
    #: Retention schedules (core.retention.RetentionSchedule), run by `flask retention run` and
    #: reported by the annual compliance check, in the order registered.
    retention_schedules: list = field(default_factory=list)


def compose(app: Flask, packages: Iterable[str]) -> Parts:
    """Register each named package on the app, in order; the parts they handed over."""
    parts = app.extensions.setdefault(EXTENSION, Parts())
    for name in packages:
        importlib.import_module(name).register(app, parts)
    parts.navigation.sort(key=lambda item: item.order)
    parts.home_panels.sort(key=lambda panel: panel.order)
    return parts


def parts(app: Flask | None = None) -> Parts:
    """The parts registered on this app (the current one by default)."""
    return (app or current_app).extensions[EXTENSION]
