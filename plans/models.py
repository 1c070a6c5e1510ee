"""Delivery plans: plans, their sections (themes), rows, progress history and evidence files."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.db import Base, Timestamped, utcnow
from core.models import User
from core.tenancy import Scoped
from core.vocab import Rag
from partnership.models import BusinessArea

#: Column names of a plan's own extra columns start with this ("extra:Guidance").
EXTRA_PREFIX = "extra:"

RAG_VALUES = ", ".join(f"'{r.value}'" for r in Rag)


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Plan(Scoped, Timestamped, Base):
    """One SPOC area's action plan for a period, or the county delivery plan (no area)."""

    __tablename__ = "plans"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'active', 'archived')", name="known_status"),
        Index("ix_plans_area_id_status", "area_id", "status"),
    )

    #: None for the county delivery plan.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("business_areas.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(300))
    #: As the plan names it, e.g. "2017-2018" or "2019-2021".
    period: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(10), default=PlanStatus.ACTIVE.value)
    #: When the status last changed (set on creation too): with created_at, the dated history
    #: plans.rules.active_at reads to say which plans were active on a past day (a year end).
    status_since: Mapped[datetime] = mapped_column(default=utcnow, info={"audit": False})
    #: Name of the template the plan was made from (spoc, county, kent, custom).
    template: Mapped[str] = mapped_column(String(20), default="spoc")
    #: The columns this plan shows, in order, with its own headings: [[field, heading], ...].
    columns: Mapped[list] = mapped_column(JSON, default=list)
    introduction: Mapped[str] = mapped_column(Text, default="")
    #: The plan's principles or common duties, as a list of short items.
    principles: Mapped[list] = mapped_column(JSON, default=list)
    #: Key to initials used in the Lead column, e.g. {"DHP": "Policy Adviser / Prevent Lead"}.
    lead_key: Mapped[dict] = mapped_column(JSON, default=dict)

    area: Mapped[BusinessArea | None] = relationship()
    sections: Mapped[list["PlanSection"]] = relationship(
        back_populates="plan", order_by="PlanSection.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Plan {self.id} {self.title}>"

    @property
    def is_county(self) -> bool:
        return self.area_id is None

    @validates("status")
    def _status_changed(self, _key: str, value: str) -> str:
        if value != self.status:
            self.status_since = utcnow()
        return value


class PlanSection(Scoped, Timestamped, Base):
    """A theme or numbered section grouping rows, e.g. "Training and awareness"."""

    __tablename__ = "plan_sections"
    __audited__ = True
    __audit_label__ = "title"
    __table_args__ = (UniqueConstraint("plan_id", "title"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: The section's own number where the plan numbers sections ("1", "2" ...).
    number: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship(back_populates="sections")

    def __repr__(self) -> str:
        return f"<PlanSection {self.id} {self.title}>"


class PlanRow(Scoped, Timestamped, Base):
    """A row of a plan: every column any source format uses; list cells are JSON lists."""

    __tablename__ = "plan_rows"
    __audited__ = True
    __audit_label__ = "duty"
    __table_args__ = (
        CheckConstraint(f"rag IS NULL OR rag IN ({RAG_VALUES})", name="known_rag"),
        Index("ix_plan_rows_plan_id_position", "plan_id", "position"),
    )

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("plan_sections.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: The row's number in the plan, e.g. "1.4".
    reference: Mapped[str] = mapped_column(String(20), default="")
    #: Duty, risk area or area, as the template calls it.
    duty: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[list] = mapped_column(JSON, default=list)
    #: Impact or expected outcomes.
    impact: Mapped[list] = mapped_column(JSON, default=list)
    leads: Mapped[list] = mapped_column(JSON, default=list)
    responsible_agency: Mapped[list] = mapped_column(JSON, default=list)
    timescale: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None]
    #: Evidence as text items; uploaded files are EvidenceFile rows.
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    next_steps: Mapped[list] = mapped_column(JSON, default=list)
    #: The plan's own extra columns (those no field above holds): column key -> the cell's text
    #: as the file had it, line breaks and list markers included. Keys are the "extra:..." names
    #: in Plan.columns.
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    #: List markers as the file wrote them ("- ", "\u2022 ", "1. "): field -> one per item, kept
    #: so an export writes each list cell back as it was read. Absent for cells without markers.
    markers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: When the row was archived (a re-import found it missing and the importer chose to archive
    #: it); archived rows are kept with their history but left out of the plan and its roll-ups.
    archived_at: Mapped[datetime | None]
    #: The RAG the SPOC set, as of the latest progress update (None until first set).
    rag: Mapped[str | None] = mapped_column(String(12))
    #: Time of the latest progress update (kept here so roll-ups need no sub-query).
    last_progress_at: Mapped[datetime | None] = mapped_column(index=True)
    #: Optimistic lock: a save based on an older version is refused.
    version: Mapped[int] = mapped_column(default=1, info={"audit": False})

    __mapper_args__ = {"version_id_col": version}

    plan: Mapped[Plan] = relationship()
    section: Mapped[PlanSection | None] = relationship()
    updates: Mapped[list["ProgressUpdate"]] = relationship(
        back_populates="row", order_by="ProgressUpdate.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<PlanRow {self.id} {self.reference or self.duty[:30]}>"

    def value(self, name: str):
        """A column's stored value: a field's, or the text of one of the plan's extra columns."""
        if name.startswith(EXTRA_PREFIX):
            return (self.extra or {}).get(name, "")
        return getattr(self, name)


class ProgressUpdate(Scoped, Base):
    """One dated progress entry: never edited, so the history shows what changed when."""

    __tablename__ = "progress_updates"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(f"rag IS NULL OR rag IN ({RAG_VALUES})", name="known_rag"),
        Index("ix_progress_updates_row_id_at", "row_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("plan_rows.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: The author's name at the time, or the import that brought the entry in.
    author_label: Mapped[str] = mapped_column(String(254))
    items: Mapped[list] = mapped_column(JSON, default=list)
    #: The row's RAG as of this update.
    rag: Mapped[str | None] = mapped_column(String(12))
    #: Why the RAG moved to Red or Amber (required then).
    reason: Mapped[str] = mapped_column(Text, default="")
    #: "update" from the page, or "import".
    source: Mapped[str] = mapped_column(String(10), default="update")
    #: The file an imported entry came from, and its SHA-256 ("" for entries typed on the page).
    source_file: Mapped[str] = mapped_column(String(200), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    #: The items' list markers as the file wrote them (one per item); empty when it used none.
    markers: Mapped[list] = mapped_column(JSON, default=list)

    row: Mapped[PlanRow] = relationship(back_populates="updates")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ProgressUpdate {self.id} row={self.row_id}>"


class EvidenceFile(Scoped, Base):
    """An uploaded evidence file. Never overwritten: a replacement is a new revision."""

    __tablename__ = "evidence_files"
    __audited__ = True
    __audit_label__ = "filename"
    __table_args__ = (
        UniqueConstraint("document_id", "revision"),
        Index("ix_evidence_files_row_id", "row_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("plan_rows.id", ondelete="RESTRICT"))
    #: The first revision's id; every revision of one document shares it.
    document_id: Mapped[int | None] = mapped_column(index=True)
    revision: Mapped[int] = mapped_column(default=1)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: Where the bytes are in the storage backend (never derived from the user's filename).
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<EvidenceFile {self.id} {self.filename} r{self.revision}>"
