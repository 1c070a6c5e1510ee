"""The demo partnership: the kernel runs the demo loaders the domain packages registered, in
order (partnership and people first, then business areas, plans, training, the Channel Panel,
the board and compliance), then adds a log of the reminders the rules find on that data.

The records themselves are the domains' (partnership/demo.py, spoc/demo.py, ...); every person
in them is fictional.
"""

from core import clock
from core.registry import DemoContext, parts

DEMO_PASSWORD = "Demo-Partnership-2026"  # noqa: S105 - printed for the demo on purpose  # nosec B105
#: The TOTP secret of every demo account whose role needs two-factor authentication: published,
#: like the password, so anyone trying the demo can add it to an app or run `flask demo-code`.
DEMO_TOTP_SECRET = "DEMOPREVENTPARTNERSHIPTWOFACTORK"  # noqa: S105  # nosec B105


def load_demo() -> None:
    """Add the demo partnership to an empty database (the caller commits)."""
    from core.reminders import load_demo_reminders

    demo = DemoContext(today=clock.today())
    for loader in parts().demo_loaders:
        loader(demo)
    enrol_demo_two_factor(demo.users.values())
    load_demo_reminders(today=demo.today)


def enrol_demo_two_factor(users) -> None:
    """Set up two-factor authentication, with the published demo secret, for every demo account
    that needs it, so the demo signs in as a real deployment would (no recovery codes)."""
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value

    from core import twofactor
    from core.extensions import db
    from core.models import User

    db.session.flush()
    for user in users:
        if twofactor.required_for(user) and not user.has_two_factor:
            # Part of making the demo account, not a later change to it: no audit entry.
            values = {"totp_secret": twofactor.encrypt_secret(DEMO_TOTP_SECRET), "totp_enrolled_at": clock.now()}
            db.session.execute(update(User).where(User.id == user.id).values(**values))
            for key, value in values.items():
                set_committed_value(user, key, value)
