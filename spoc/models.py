"""The SPOCs and deputies who lead the business areas."""

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from core.db import Base, Timestamped
from core.models import User
from core.tenancy import Scoped
from partnership.models import BusinessArea


class Capacity(StrEnum):
    SPOC = "spoc"
    DEPUTY = "deputy"

    @property
    def label(self) -> str:
        return "SPOC" if self is Capacity.SPOC else "Deputy SPOC"


class SpocAssignment(Scoped, Timestamped, Base):
    """A user leading (SPOC) or deputising for a business area, for one council if several."""

    __tablename__ = "spoc_assignments"
    __audited__ = True
    __audit_label__ = "capacity"
    __table_args__ = (
        UniqueConstraint("area_id", "user_id"),
        CheckConstraint("capacity IN ('spoc', 'deputy')", name="known_capacity"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("business_areas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    capacity: Mapped[str] = mapped_column(String(10), default=Capacity.SPOC.value)
    #: Which council or body this SPOC covers, when an area has one SPOC per council.
    covers: Mapped[str] = mapped_column(String(100), default="")

    #: Also gives BusinessArea.assignments (its SPOCs and deputies), which go with the area.
    area: Mapped[BusinessArea] = relationship(backref=backref("assignments", cascade="all, delete-orphan"))
    user: Mapped[User] = relationship(back_populates="spoc_assignments")

    def __repr__(self) -> str:
        return f"<SpocAssignment area={self.area_id} user={self.user_id} {self.capacity}>"


class ReferralCount(Scoped, Timestamped, Base):
    """Referrals recorded by a business area in a quarter, counted by one national category."""

    __tablename__ = "referral_counts"
    __audited__ = True
    __audit_label__ = "category"
    __table_args__ = (
        UniqueConstraint("area_id", "quarter_start", "dimension", "category"),
        CheckConstraint("count >= 0", name="not_negative"),
        CheckConstraint("dimension IN ('sector', 'concern', 'age_band', 'gender')", name="known_dimension"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("business_areas.id", ondelete="RESTRICT"))
    #: First day of the quarter (1 Jan, 1 Apr, 1 Jul or 1 Oct).
    quarter_start: Mapped[date]
    #: sector, concern, age_band or gender (core.vocab.REFERRAL_CATEGORIES).
    dimension: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(default=0)

    area: Mapped[BusinessArea] = relationship()

    def __repr__(self) -> str:
        return f"<ReferralCount area={self.area_id} {self.quarter_start} {self.dimension}:{self.category}={self.count}>"
