"""factory-boy factories for test data. People are fictional."""

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import clock
from core.extensions import db
from core.models import User, UserRole
from core.passwords import hash_password
from core.vocab import Role
from partnership.models import BusinessArea, Organisation, OrganisationKind, Partnership
from spoc.models import SpocAssignment

TEST_PASSWORD = "Correct-Horse-Staple-42"
#: Every factory user whose role needs two-factor authentication is set up with this TOTP secret;
#: tests compute its codes with pyotp (tests/conftest.py: sign_in).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPTESTTOTPSECRET22"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class PartnershipFactory(BaseFactory):
    class Meta:
        model = Partnership

    name = factory.Sequence(lambda n: f"Test Partnership {n}")


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    partnership = factory.LazyFunction(lambda: db.session.get(Partnership, home_partnership_id()))
    name = factory.Sequence(lambda n: f"Test Council {n}")
    kind = OrganisationKind.LOCAL_AUTHORITY.value
    short_name = factory.Sequence(lambda n: f"TC{n}")


class BusinessAreaFactory(BaseFactory):
    class Meta:
        model = BusinessArea

    partnership = factory.LazyFunction(lambda: db.session.get(Partnership, home_partnership_id()))
    name = factory.Sequence(lambda n: f"Business area {n}")


def home_partnership_id() -> int:
    """A new account's partnership when a test does not say: the scope's one, else the first
    partnership, else a new one."""
    from core import tenancy

    if tenancy.current().single is not None:
        return tenancy.current().single
    first = db.session.scalar(select(Partnership.id).order_by(Partnership.id).limit(1))
    return first if first is not None else PartnershipFactory().id


class UserFactory(BaseFactory):
    class Meta:
        model = User

    organisation = None
    partnership_id = factory.LazyAttribute(
        lambda o: o.organisation.partnership_id if o.organisation is not None else home_partnership_id()
    )
    email = factory.Sequence(lambda n: f"person{n}@council.example")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    job_title = "Officer"
    password_hash = factory.LazyFunction(lambda: hash_password(TEST_PASSWORD))

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.roles.append(UserRole(role=Role(role).value))

    @factory.post_generation
    def two_factor(self, create, extracted, **kwargs):
        """Set up TOTP with TEST_TOTP_SECRET when the roles need it (or ``two_factor=True``);
        ``two_factor=False`` leaves it off."""
        from core import twofactor

        if extracted is False or (extracted is None and not twofactor.required_for(self)):
            return
        # Written as part of the account's making, not as a later change to it (no audit entry).
        values = {"totp_secret": twofactor.encrypt_secret(TEST_TOTP_SECRET), "totp_enrolled_at": clock.now()}
        db.session.flush()
        db.session.execute(update(User).where(User.id == self.id).values(**values))
        for key, value in values.items():
            set_committed_value(self, key, value)

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        """areas=[(area, "spoc"|"deputy"), ...]"""
        for area, capacity in extracted or []:
            self.spoc_assignments.append(SpocAssignment(area=area, capacity=capacity))


def schedule_board_meetings(partnership, first_on, *, count=1, today, place="Sand Martin House"):
    """Board meetings every three months from ``first_on``, 10:00 to 12:00, through the service
    the meetings page uses (the caller commits)."""
    from datetime import time

    from board import services as board

    return board.schedule_meetings(
        partnership=partnership,
        first_on=first_on,
        count=count,
        every_months=3,
        starts_at=time(10),
        ends_at=time(12),
        place=place,
        link="",
        marking="OFFICIAL-SENSITIVE",
        today=today,
    )
