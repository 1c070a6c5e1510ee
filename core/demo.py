"""The demo partnership: the kernel runs the demo loaders the domain packages registered, in
order (partnership and people first, then business areas, plans, training, the Channel Panel,
the board and compliance), then adds a log of the reminders the rules find on that data.

The records themselves are the domains' (partnership/demo.py, spoc/demo.py, ...); every person
in them is fictional.
"""

from core import clock, tenancy
from core.registry import DemoContext, parts

DEMO_PASSWORD = "Demo-Partnership-2026"  # noqa: S105 - printed for the demo on purpose  # nosec B105
#: The TOTP secret of every demo account whose role needs two-factor authentication: published,
#: like the password, so anyone trying the demo can add it to an app or run `flask demo-code`.
DEMO_TOTP_SECRET = "DEMOPREVENTPARTNERSHIPTWOFACTORK"  # noqa: S105  # nosec B105


def load_demo(partnerships: int = 1, *, second_places: dict[str, str] | None = None) -> None:
    """Add the demo partnership to an empty database (the caller commits); with
    ``partnerships=2`` a second one too, to try how partnerships are kept apart: the same records
    with every person and place renamed (``second_places``: old place -> new)."""
    for variant in range(1, partnerships + 1):
        _load_one(DemoContext(today=clock.today(), variant=variant), second_places or {})


def _load_one(demo: DemoContext, places: dict[str, str]) -> None:
    from core.reminders import load_demo_reminders

    before = tenancy.current()
    try:
        for loader in parts().demo_loaders:
            loader(demo)
            if demo.partnership is not None and tenancy.current().single != demo.partnership.id:
                # The first loader made the partnership: everything after it is that partnership's.
                tenancy.set_scope(tenancy.Scope.of(demo.partnership.id))
        enrol_demo_two_factor(demo.users.values())
        load_demo_reminders(today=demo.today)
        if demo.variant > 1:
            rename_people_and_places(demo.partnership.id, places, suffix=SECOND_SURNAME)
    finally:
        tenancy.set_scope(before)


#: Added to every person's name in the second demo partnership, so none is the first's.
SECOND_SURNAME = "-Fenwick"


def rename_people_and_places(partnership_id: int, places: dict[str, str], *, suffix: str) -> None:
    """In one partnership's records: each person's name (columns marked ``person_name``) gets
    ``suffix``; each place in ``places`` is replaced in every other text column."""
    from sqlalchemy import String, func, update  # noqa: F401

    from core.db import Base
    from core.extensions import db

    db.session.flush()
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if not issubclass(model, tenancy.Scoped):
            continue
        table = model.__table__
        values = {}
        for column in table.c:
            if not isinstance(column.type, String) or column.foreign_keys or column.primary_key:
                continue
            if column.info.get("person_name"):
                values[column.name] = column.concat(suffix)
            elif places and column.type.length and column.type.length >= 40:
                renamed = column
                for old, new in places.items():
                    renamed = func.replace(renamed, old, new)
                values[column.name] = renamed
        if values:
            db.session.execute(
                update(table).where(table.c.partnership_id == partnership_id).values(**values),
                execution_options={"synchronize_session": False},
            )
    db.session.expire_all()


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
