"""Plan rules: rows, progress history, RAG, evidence, flags and roll-ups.

Functions add and flush, never commit; the audit trail is written in the same transaction.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import case, exists, func, literal_column, select
from sqlalchemy.orm import joinedload

from core import clock, registry
from core.dates import Quarter
from core.extensions import db
from core.models import User
from core.vocab import Rag
from partnership.models import BusinessArea
from plans import rules
from plans.models import EXTRA_PREFIX, EvidenceFile, Plan, PlanRow, PlanSection, PlanStatus, ProgressUpdate
from plans.templates import FIELDS, TEMPLATES, default_columns


class EditConflict(Exception):
    """Someone saved the row after the editor opened it; nothing was changed."""

    def __init__(self, row: PlanRow):
        super().__init__("The row was changed by someone else")
        self.row = row


class ReasonRequired(ValueError):
    """Moving a row to Red or Amber needs a reason."""


def since_last_board(today: date) -> date:
    """The date "what changed" is measured from: the last board meeting before today, or the
    start of the current quarter when no meeting has been recorded."""
    last_review_before = registry.parts().last_review_before
    return (last_review_before(today) if last_review_before else None) or Quarter.from_date(today).start


# --- plans -------------------------------------------------------------------------------


def create_plan(
    *,
    area_id: int | None,
    title: str,
    period: str = "",
    status: str = PlanStatus.ACTIVE.value,
    template: str = "spoc",
    introduction: str = "",
    principles: list[str] | None = None,
    lead_key: dict[str, str] | None = None,
    columns: list[list[str]] | None = None,
) -> Plan:
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}")
    plan = Plan(
        area_id=area_id,
        title=title.strip(),
        period=period.strip(),
        status=PlanStatus(status).value,
        template=template,
        columns=columns or default_columns(template),
        introduction=introduction.strip(),
        principles=list(principles or []),
        lead_key=dict(lead_key or {}),
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def update_plan(
    plan: Plan,
    *,
    title: str,
    period: str,
    status: str,
    introduction: str,
    principles: list[str],
    lead_key: dict[str, str],
    columns: list[list[str]],
) -> None:
    plan.title = title.strip()
    plan.period = period.strip()
    plan.status = PlanStatus(status).value
    plan.introduction = introduction.strip()
    plan.principles = list(principles)
    plan.lead_key = dict(lead_key)
    plan.columns = [list(c) for c in columns]
    db.session.flush()


def archived_rows(plan: Plan) -> int:
    """How many of the plan's rows are archived (kept with their history, off the page)."""
    return db.session.scalar(
        select(func.count()).select_from(PlanRow).where(PlanRow.plan_id == plan.id, PlanRow.archived_at.is_not(None))
    )


def recorded_since_import(plan: Plan) -> bool:
    """Whether anything was recorded in the plan beyond its import: a progress entry typed on
    the page, or an evidence file. Two queries."""
    typed = db.session.scalar(
        select(func.count())
        .select_from(ProgressUpdate)
        .join(PlanRow, PlanRow.id == ProgressUpdate.row_id)
        .where(PlanRow.plan_id == plan.id, ProgressUpdate.source != "import")
    )
    files = db.session.scalar(
        select(func.count()).select_from(EvidenceFile).join(PlanRow).where(PlanRow.plan_id == plan.id)
    )
    return bool(typed or files)


def delete_plan(plan: Plan) -> None:
    """Delete a plan made by mistake, with its sections, rows and imported progress; each is
    deleted through the session so the audit trail records what was lost. Flushes only.
    Raises ValueError if anything was recorded in it beyond its import."""
    if recorded_since_import(plan):
        raise ValueError(
            "Progress or evidence has been recorded in this plan since it was imported: archive it instead"
        )
    rows = list(db.session.scalars(select(PlanRow).where(PlanRow.plan_id == plan.id)))
    for update in db.session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.row_id.in_([r.id for r in rows] or [0]))
    ):
        db.session.delete(update)
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    db.session.delete(plan)
    db.session.flush()


def find_or_create_section(plan: Plan, title: str, number: str = "") -> PlanSection | None:
    title = title.strip()
    if not title:
        return None
    section = db.session.scalar(select(PlanSection).where(PlanSection.plan_id == plan.id, PlanSection.title == title))
    if section is None:
        position = db.session.scalar(
            select(func.coalesce(func.max(PlanSection.position), 0)).where(PlanSection.plan_id == plan.id)
        )
        section = PlanSection(plan_id=plan.id, title=title, number=number.strip(), position=position + 1)
        db.session.add(section)
        db.session.flush()
    return section


# --- rows --------------------------------------------------------------------------------

ROW_VALUE_FIELDS = [f for f in FIELDS if f not in ("progress", "rag")]


def _apply_fields(row: PlanRow, values: dict, markers: dict | None = None) -> None:
    """Set the fields in ``values`` (and extra columns, "extra:..." keys); with ``markers``, the
    list markers of the list fields set (a field set without markers loses its old ones)."""
    extras = {k: str(v or "").strip() for k, v in values.items() if k.startswith(EXTRA_PREFIX)}
    if extras:
        merged = dict(row.extra or {})
        merged.update(extras)
        row.extra = {k: v for k, v in merged.items() if v}
    if markers is not None:
        kept = {k: v for k, v in (row.markers or {}).items() if k not in values}
        kept.update({k: list(v) for k, v in markers.items() if k in values and any(v)})
        row.markers = kept
    for name in ROW_VALUE_FIELDS:
        if name not in values:
            continue
        kind = FIELDS[name][1]
        value = values[name]
        if kind == "list":
            value = [str(v).strip() for v in (value or []) if str(v).strip()]
        elif kind == "text":
            value = (value or "").strip()
        setattr(row, name, value)


def add_row(
    plan: Plan, *, section_title: str = "", values: dict, section_number: str = "", markers: dict | None = None
) -> PlanRow:
    section = find_or_create_section(plan, section_title, section_number)
    position = db.session.scalar(select(func.coalesce(func.max(PlanRow.position), 0)).where(PlanRow.plan_id == plan.id))
    row = PlanRow(
        plan_id=plan.id, section_id=section.id if section else None, position=position + 1, extra={}, markers={}
    )
    _apply_fields(row, values, markers or {})
    db.session.add(row)
    db.session.flush()
    return row


def edit_row(row: PlanRow, *, values: dict, markers: dict | None = None) -> None:
    """Set some of a row's fields and extra columns (a re-imported file's cells); flushes."""
    _apply_fields(row, values, markers or {})
    db.session.flush()


def update_row(
    row: PlanRow, *, expected_version: int, section_title: str, values: dict, markers: dict | None = None
) -> None:
    """Save the row's fields, refusing (EditConflict) if it changed since the editor loaded it."""
    if row.version != expected_version:
        raise EditConflict(row)
    section = find_or_create_section(row.plan, section_title)
    row.section_id = section.id if section else None
    _apply_fields(row, values, markers or {})
    db.session.flush()


def record_progress(
    row: PlanRow,
    *,
    items: list[str],
    rag: str | None,
    reason: str = "",
    actor: User | None,
    actor_label: str | None = None,
    expected_version: int | None = None,
    source: str = "update",
    at: datetime | None = None,
    markers: list[str] | None = None,
    source_file: str = "",
    source_sha256: str = "",
) -> ProgressUpdate:
    """Add a dated progress entry and set the row's RAG; the history is never rewritten."""
    if expected_version is not None and row.version != expected_version:
        raise EditConflict(row)
    rag = Rag(rag).value if rag else None
    if rag and Rag(rag).needs_reason and rag != row.rag and not reason.strip():
        raise ReasonRequired(f"Give a reason for changing the RAG status to {Rag(rag).label}")
    update = ProgressUpdate(
        row_id=row.id,
        author_id=actor.id if actor else None,
        author_label=actor_label or (actor.full_name if actor else "import"),
        items=[i.strip() for i in items if i.strip()],
        markers=list(markers or []) if markers and len(markers) == len(items) and any(markers) else [],
        rag=rag,
        reason=reason.strip(),
        source=source,
        source_file=source_file[:200],
        source_sha256=source_sha256,
        at=at or clock.now(),
    )
    db.session.add(update)
    row.rag = rag
    # An older update brought in later (an import of past progress) does not make the row
    # look less recently updated than it is.
    last = row.last_progress_at
    row.last_progress_at = update.at if last is None or update.at > last else last
    db.session.flush()
    return update


def record_update(
    row: PlanRow,
    *,
    items: list[str],
    rag: str | None,
    reason: str,
    actor: User,
    expected_version: int,
    evidence=None,
    evidence_data: bytes = b"",
    evidence_note: str = "",
) -> ProgressUpdate:
    """The row page's one form: a progress update (RAG and reason) and, when ``evidence`` (a
    checked upload) is given, the file beside it. Both or neither: a refusal or a storage failure
    raises before the caller's transaction commits."""
    update = record_progress(row, items=items, rag=rag, reason=reason, actor=actor, expected_version=expected_version)
    if evidence is not None:
        add_evidence_file(row, checked=evidence, data=evidence_data, note=evidence_note, actor=actor)
    return update


# --- evidence ----------------------------------------------------------------------------


def add_evidence_file(
    row: PlanRow,
    *,
    checked,
    data: bytes,
    note: str,
    actor: User,
    replaces: EvidenceFile | None = None,
) -> EvidenceFile:
    """Store the bytes (write-once) and record them; a replacement is a new revision."""
    from core.storage import get_storage

    key = f"evidence/{checked.sha256[:2]}/{uuid.uuid4().hex}.{checked.extension}"
    # The file is written first: if that fails nothing is recorded, so no row ever points at
    # a missing file. If the database write then fails, an unreferenced file is left, which
    # is harmless and is what backups and audits prefer to a lost one.
    get_storage().put(key, data)
    revision, document_id = 1, None
    if replaces is not None:
        document_id = replaces.document_id or replaces.id
        revision = (
            db.session.scalar(select(func.max(EvidenceFile.revision)).where(EvidenceFile.document_id == document_id))
            or 1
        ) + 1
    evidence = EvidenceFile(
        row_id=row.id,
        document_id=document_id,
        revision=revision,
        filename=checked.safe_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        storage_key=key,
        note=note.strip(),
        uploaded_by_id=actor.id,
    )
    db.session.add(evidence)
    db.session.flush()
    if evidence.document_id is None:
        evidence.document_id = evidence.id
        db.session.flush()
    return evidence


def evidence_documents(row_id: int, *, as_of: datetime | None = None) -> list[list[EvidenceFile]]:
    """Each document's revisions, newest first; with as_of, only what stood on that date."""
    query = select(EvidenceFile).where(EvidenceFile.row_id == row_id).options(joinedload(EvidenceFile.uploaded_by))
    if as_of is not None:
        query = query.where(EvidenceFile.uploaded_at <= as_of)
    grouped: dict[int, list[EvidenceFile]] = defaultdict(list)
    for item in db.session.scalars(query.order_by(EvidenceFile.document_id, EvidenceFile.revision.desc())):
        grouped[item.document_id].append(item)
    return list(grouped.values())


# --- flags and suggestions ---------------------------------------------------------------


def suggested_rag(row: PlanRow, today: date, *, has_evidence: bool) -> Rag | None:
    """What the rules (plans.rules) suggest: Red when overdue; Amber when due soon without
    evidence, or when stale. None when the rules have nothing to add."""
    if rules.is_complete(row):
        return None
    if rules.is_overdue(row, today):
        return Rag.RED
    if rules.is_due_soon(row, today) and not has_evidence:
        return Rag.AMBER
    if rules.is_stale(row, today):
        return Rag.AMBER
    return None


@dataclass
class RowView:
    row: PlanRow
    latest: ProgressUpdate | None
    evidence_files: int
    overdue: bool
    stale: bool
    suggested: Rag | None
    changed_since: bool

    @property
    def disagrees(self) -> bool:
        return self.suggested is not None and self.suggested.value != self.row.rag


@dataclass
class SectionView:
    section: PlanSection | None
    rows: list[RowView] = field(default_factory=list)

    @property
    def rag_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.rows:
            counts[r.row.rag or "unset"] += 1
        return dict(counts)


def plan_view(plan: Plan, *, today: date, since: date) -> list[SectionView]:
    """The plan's rows grouped by section, with latest progress and flags, in five queries."""
    return plan_views([plan], today=today, since=since)[plan.id]


def plan_views(plans: list[Plan], *, today: date, since: date) -> dict[int, list[SectionView]]:
    """plan_view for several plans at once: five queries, whatever the number of plans."""
    plan_ids = [p.id for p in plans]
    by_plan: dict[int, list[PlanRow]] = {plan_id: [] for plan_id in plan_ids}
    if not plan_ids:
        return {}
    rows = db.session.scalars(
        select(PlanRow)
        .where(PlanRow.plan_id.in_(plan_ids), rules.live())
        .order_by(PlanRow.plan_id, PlanRow.position, PlanRow.id)
    )
    for row in rows:
        by_plan[row.plan_id].append(row)
    latest_ids = (
        select(func.max(ProgressUpdate.id))
        .join(PlanRow)
        .where(PlanRow.plan_id.in_(plan_ids))
        .group_by(ProgressUpdate.row_id)
    )
    latest = {u.row_id: u for u in db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.id.in_(latest_ids)))}
    files = dict(
        db.session.execute(
            select(EvidenceFile.row_id, func.count(func.distinct(EvidenceFile.document_id)))
            .join(PlanRow)
            .where(PlanRow.plan_id.in_(plan_ids))
            .group_by(EvidenceFile.row_id)
        ).all()
    )
    # Every section, with rows or none: a section heading stays on the page and in exports.
    sections: dict[int, list[PlanSection]] = {plan_id: [] for plan_id in plan_ids}
    for section in db.session.scalars(
        select(PlanSection).where(PlanSection.plan_id.in_(plan_ids)).order_by(PlanSection.position, PlanSection.id)
    ):
        sections[section.plan_id].append(section)
    return {
        plan_id: _sections(plan_rows, sections[plan_id], latest, files, today=today, since=since)
        for plan_id, plan_rows in by_plan.items()
    }


def _sections(
    rows: list[PlanRow], plan_sections: list[PlanSection], latest: dict, files: dict, *, today: date, since: date
) -> list[SectionView]:
    since_at = rules.start_of(since)
    sections: dict[int | None, SectionView] = {}
    for section in plan_sections:
        sections[section.id] = SectionView(section)
    for row in rows:
        view = sections.setdefault(row.section_id, SectionView(None))
        has_evidence = bool(row.evidence) or files.get(row.id, 0) > 0
        view.rows.append(
            RowView(
                row=row,
                latest=latest.get(row.id),
                evidence_files=files.get(row.id, 0),
                overdue=rules.is_overdue(row, today),
                stale=rules.is_stale(row, today),
                suggested=suggested_rag(row, today, has_evidence=has_evidence),
                changed_since=row.last_progress_at is not None and row.last_progress_at >= since_at,
            )
        )
    ordered = [v for k, v in sections.items() if k is None] + [v for k, v in sections.items() if k is not None]
    return [v for v in ordered if v.rows or v.section]


def visible_columns(plan: Plan, sections: list[SectionView]) -> tuple[list[list[str]], list[str]]:
    """The plan's columns, less any with no entry in any row (their headings come second)."""
    rows = [r.row for s in sections for r in s.rows]
    if not rows:
        return [list(c) for c in plan.columns], []
    shown, hidden = [], []
    for field_name, heading in plan.columns:
        always = field_name in ("rag", "progress")
        if always or any(row.value(field_name) for row in rows):
            shown.append([field_name, heading])
        else:
            hidden.append(heading)
    return shown, hidden


# --- exceptions for the board --------------------------------------------------------------


@dataclass
class ExceptionRow:
    plan: Plan
    row: PlanRow
    latest: ProgressUpdate | None
    overdue: bool
    stale: bool
    changed: bool
    #: For a Red or Amber row, the reason given when it last moved to that status ("" if none was).
    reason: str = ""


def exception_rows(*, today: date, since: date, partnership_id: int | None = None) -> list[ExceptionRow]:
    """Rows of active plans that are Red or Amber, overdue, stale, or changed since ``since``:
    what the board looks at. Four queries, whatever the number of plans."""
    since_at = rules.start_of(since)
    rows = list(
        db.session.scalars(
            select(PlanRow)
            .join(Plan)
            .where(
                rules.in_partnership(partnership_id),
                rules.live(),
                Plan.status == PlanStatus.ACTIVE.value,
                PlanRow.rag.in_([Rag.RED.value, Rag.AMBER.value])
                | rules.overdue(today)
                | rules.stale(today)
                | (PlanRow.last_progress_at >= since_at),
            )
            .options(joinedload(PlanRow.plan).joinedload(Plan.area))
            .order_by(Plan.area_id.is_not(None), Plan.title, PlanRow.position)
        )
    )
    if not rows:
        return []
    latest_ids = (
        select(func.max(ProgressUpdate.id))
        .where(ProgressUpdate.row_id.in_([r.id for r in rows]))
        .group_by(ProgressUpdate.row_id)
    )
    latest = {u.row_id: u for u in db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.id.in_(latest_ids)))}
    # The reason a Red or Amber row's status was given: its newest update that set the status
    # it has now with a reason (later updates that keep the status need not repeat it).
    reason_ids = (
        select(func.max(ProgressUpdate.id))
        .join(PlanRow, PlanRow.id == ProgressUpdate.row_id)
        .where(
            ProgressUpdate.row_id.in_([r.id for r in rows if r.rag in (Rag.RED.value, Rag.AMBER.value)]),
            ProgressUpdate.rag == PlanRow.rag,
            ProgressUpdate.reason != "",
        )
        .group_by(ProgressUpdate.row_id)
    )
    reasons = {
        row_id: reason
        for row_id, reason in db.session.execute(
            select(ProgressUpdate.row_id, ProgressUpdate.reason).where(ProgressUpdate.id.in_(reason_ids))
        )
    }
    return [
        ExceptionRow(
            plan=row.plan,
            row=row,
            latest=latest.get(row.id),
            overdue=rules.is_overdue(row, today),
            stale=rules.is_stale(row, today),
            changed=row.last_progress_at is not None and row.last_progress_at >= since_at,
            reason=reasons.get(row.id, ""),
        )
        for row in rows
    ]


# --- roll-ups ------------------------------------------------------------------------------


@dataclass
class PlanSummary:
    plan: Plan
    counts: dict[str, int]
    rows: int
    overdue: int
    stale: int
    last_update: datetime | None


def plans_query(*, area_ids: list[int] | None = None, statuses=None, partnership_id: int | None = None):
    """Plans (county plan first, then by title) with the given filters."""
    query = (
        select(Plan)
        .options(joinedload(Plan.area))
        .where(rules.in_partnership(partnership_id))
        .order_by(Plan.area_id.is_not(None), Plan.title, Plan.id)
    )
    if statuses:
        query = query.where(Plan.status.in_(list(statuses)))
    if area_ids is not None:
        query = query.where(Plan.area_id.in_(area_ids))
    return query


def plan_summaries(
    *, today: date, area_ids: list[int] | None = None, statuses=None, partnership_id: int | None = None
) -> list[PlanSummary]:
    """Every plan with RAG counts, overdue and stale rows and last update: two queries."""
    plans = list(db.session.scalars(plans_query(area_ids=area_ids, statuses=statuses, partnership_id=partnership_id)))
    return summarise(plans, today=today)


def summarise(plans: list[Plan], *, today: date) -> list[PlanSummary]:
    """These plans with RAG counts, overdue and stale rows and last update: one query."""
    if not plans:
        return []
    # One expression object, rendered without a bind parameter, so PostgreSQL sees the
    # grouped column and the selected one as the same expression.
    rag_or_unset = func.coalesce(PlanRow.rag, literal_column("'unset'"))
    stats = db.session.execute(
        select(
            PlanRow.plan_id,
            rag_or_unset,
            func.count(),
            func.sum(case((rules.overdue(today), 1), else_=0)),
            func.sum(case((rules.stale(today), 1), else_=0)),
            func.max(PlanRow.last_progress_at),
        )
        .where(PlanRow.plan_id.in_([p.id for p in plans]), rules.live())
        .group_by(PlanRow.plan_id, rag_or_unset)
    ).all()
    by_plan: dict[int, PlanSummary] = {p.id: PlanSummary(p, {}, 0, 0, 0, None) for p in plans}
    for plan_id, rag, count, overdue, stale, last in stats:
        summary = by_plan[plan_id]
        summary.counts[rag] = count
        summary.rows += count
        summary.overdue += overdue or 0
        summary.stale += stale or 0
        if last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=UTC)
            summary.last_update = max(filter(None, [summary.last_update, last]))
    return list(by_plan.values())


def rag_by_area(summaries: list[PlanSummary]) -> dict[str, dict[str, int]]:
    """Row counts by RAG for each area (the county plan under its own name)."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in summaries:
        name = s.plan.area.name if s.plan.area else "County plan"
        for rag, count in s.counts.items():
            totals[name][rag] += count
    return {k: dict(v) for k, v in sorted(totals.items())}


def rag_totals_by_area(*, statuses=None) -> dict[str, dict[str, int]]:
    """Row counts by RAG for each area name (the county plan as "County plan"), counted in SQL
    over every plan with the given statuses: what rag_by_area gives, without loading plans."""
    rag_or_unset = func.coalesce(PlanRow.rag, literal_column("'unset'"))
    area = func.coalesce(BusinessArea.name, literal_column("'County plan'"))
    query = (
        select(area, rag_or_unset, func.count())
        .select_from(PlanRow)
        .join(Plan, Plan.id == PlanRow.plan_id)
        .outerjoin(BusinessArea, BusinessArea.id == Plan.area_id)
        .where(rules.live())
        .group_by(area, rag_or_unset)
    )
    if statuses:
        query = query.where(Plan.status.in_(list(statuses)))
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    for name, rag, count in db.session.execute(query):
        totals[name][rag] = count
    return {k: totals[k] for k in sorted(totals)}


def area_names() -> dict[int, str]:
    return dict(db.session.execute(select(BusinessArea.id, BusinessArea.name)).all())


def areas_without_a_plan(partnership_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of business areas with no active or draft plan, by name: one query."""
    has_plan = exists().where(
        Plan.area_id == BusinessArea.id, Plan.status.in_([PlanStatus.ACTIVE.value, PlanStatus.DRAFT.value])
    )
    query = select(BusinessArea.id, BusinessArea.name).where(~has_plan).order_by(BusinessArea.name)
    if partnership_id is not None:
        query = query.where(BusinessArea.partnership_id == partnership_id)
    return [tuple(r) for r in db.session.execute(query)]


@dataclass
class PartnershipPlanRollup:
    """One partnership's active plan rows, counted: by business area and RAG, overdue, stale."""

    #: area name (the county plan as "County plan") -> RAG value ("unset" for none) -> rows.
    by_area: dict[str, dict[str, int]] = field(default_factory=dict)
    overdue: int = 0
    stale: int = 0

    @property
    def by_rag(self) -> dict[str, int]:
        """Rows by RAG, the areas added together."""
        totals: dict[str, int] = defaultdict(int)
        for counts in self.by_area.values():
            for rag, count in counts.items():
                totals[rag] += count
        return dict(totals)

    @property
    def rows(self) -> int:
        return sum(self.by_rag.values())


def rollup_by_partnership(*, today: date, statuses=(PlanStatus.ACTIVE.value,)) -> dict[int, PartnershipPlanRollup]:
    """Rows of the plans with the given statuses in every partnership in scope, counted by
    partnership, business area and RAG, with the overdue and stale rows (plans.rules): one query,
    whatever the number of partnerships, plans or rows. Counts only: no row is loaded."""
    rag_or_unset = func.coalesce(PlanRow.rag, literal_column("'unset'"))
    area = func.coalesce(BusinessArea.name, literal_column("'County plan'"))
    query = (
        select(
            Plan.partnership_id,
            area,
            rag_or_unset,
            func.count(),
            func.sum(case((rules.overdue(today), 1), else_=0)),
            func.sum(case((rules.stale(today), 1), else_=0)),
        )
        .select_from(PlanRow)
        .join(Plan, Plan.id == PlanRow.plan_id)
        .outerjoin(BusinessArea, BusinessArea.id == Plan.area_id)
        .where(rules.live(), Plan.status.in_(list(statuses)))
        .group_by(Plan.partnership_id, area, rag_or_unset)
        .order_by(Plan.partnership_id, area)
    )
    out: dict[int, PartnershipPlanRollup] = defaultdict(PartnershipPlanRollup)
    for partnership_id, area_name, rag, count, overdue, stale in db.session.execute(query):
        rollup = out[partnership_id]
        rollup.by_area.setdefault(area_name, {})[rag] = count
        rollup.overdue += overdue or 0
        rollup.stale += stale or 0
    return dict(out)
