"""The partnership, its member organisations and its business areas."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, Timestamped, utcnow
from core.disclosure import DEFAULT_THRESHOLD, THRESHOLD_RANGE
from core.tenancy import Scoped, register_tenant_model


class OrganisationKind(StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    DISTRICT_COUNCIL = "district_council"
    POLICE = "police"
    HEALTH = "health"
    PRISON_PROBATION = "prison_probation"
    SCHOOL = "school"
    FURTHER_EDUCATION = "further_education"
    HIGHER_EDUCATION = "higher_education"
    CHILDCARE = "childcare"
    FIRE = "fire"
    VOLUNTARY = "voluntary"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def specified_authority(self) -> bool:
        """Under the Prevent duty (Counter-Terrorism and Security Act 2015, Schedule 6)."""
        return self not in (OrganisationKind.FIRE, OrganisationKind.VOLUNTARY, OrganisationKind.OTHER)


_KIND_LABELS = {
    OrganisationKind.LOCAL_AUTHORITY: "Local authority",
    OrganisationKind.DISTRICT_COUNCIL: "District council",
    OrganisationKind.POLICE: "Police",
    OrganisationKind.HEALTH: "Health",
    OrganisationKind.PRISON_PROBATION: "Prison or probation",
    OrganisationKind.SCHOOL: "School",
    OrganisationKind.FURTHER_EDUCATION: "Further education",
    OrganisationKind.HIGHER_EDUCATION: "Higher education",
    OrganisationKind.CHILDCARE: "Registered childcare",
    OrganisationKind.FIRE: "Fire and rescue",
    OrganisationKind.VOLUNTARY: "Voluntary or community",
    OrganisationKind.OTHER: "Other partner",
}

KIND_VALUES = ", ".join(f"'{k.value}'" for k in OrganisationKind)


class Partnership(Timestamped, Base):
    __tablename__ = "partnerships"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("leaver_retention_months BETWEEN 1 AND 240", name="leaver_retention_in_range"),
        CheckConstraint(
            f"disclosure_threshold BETWEEN {THRESHOLD_RANGE[0]} AND {THRESHOLD_RANGE[1]}",
            name="disclosure_threshold_range",
        ),
    )

    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: Target share of relevant staff WRAP-trained, in percent.
    training_target_percent: Mapped[int] = mapped_column(default=90)
    #: Coverage this many points or fewer below the target is Amber; further below is Red.
    training_amber_band_points: Mapped[int] = mapped_column(default=10, server_default="10")
    #: A leaver's training records and person record are deleted this many months after the day
    #: they left (training.retention; 24 by default: see LEAVER_RETENTION_REASON there).
    leaver_retention_months: Mapped[int] = mapped_column(default=24, server_default="24")
    #: Counts about people from 1 to this less one are published as [c] (core.disclosure).
    disclosure_threshold: Mapped[int] = mapped_column(default=DEFAULT_THRESHOLD, server_default=str(DEFAULT_THRESHOLD))

    organisations: Mapped[list["Organisation"]] = relationship(
        back_populates="partnership", order_by="Organisation.name"
    )

    def __repr__(self) -> str:
        return f"<Partnership {self.id} {self.name}>"


register_tenant_model(Partnership)


class Organisation(Scoped, Timestamped, Base):
    __tablename__ = "organisations"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("partnership_id", "name"),
        CheckConstraint(f"kind IN ({KIND_VALUES})", name="known_kind"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    #: Short form used in tables, e.g. "PCC".
    short_name: Mapped[str] = mapped_column(String(40), default="")
    #: False once the organisation leaves the partnership; kept for its history.
    active: Mapped[bool] = mapped_column(default=True)

    partnership: Mapped[Partnership] = relationship(back_populates="organisations")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"

    @property
    def kind_enum(self) -> OrganisationKind:
        return OrganisationKind(self.kind)


class BusinessArea(Scoped, Timestamped, Base):
    __tablename__ = "business_areas"
    __audited__ = True
    __table_args__ = (UniqueConstraint("partnership_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    #: The organisation that owns the area's plan, e.g. Peterborough City Council.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")

    partnership: Mapped[Partnership] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    # ``assignments`` (its SPOCs and deputies) is added by spoc.models.SpocAssignment's backref.

    def __repr__(self) -> str:
        return f"<BusinessArea {self.id} {self.name}>"


class RegionalGrant(Base):
    """A regional coordinator's access to one partnership's roll-ups (region/).

    Not scoped to a partnership (core.tenancy): a grant joins an account of one partnership to
    another, so it is read with every partnership in scope, in one place
    (partnership.services.regional_grants). Granted and revoked by `flask region`; audited."""

    __tablename__ = "regional_grants"
    __audited__ = True
    __table_args__ = (UniqueConstraint("user_id", "partnership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: The partnership whose roll-ups the user may see.
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id", ondelete="RESTRICT"), index=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<RegionalGrant user {self.user_id} partnership {self.partnership_id}>"
