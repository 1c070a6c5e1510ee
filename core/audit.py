"""The audit trail: every insert, update and delete of a domain record, field by field.

Models opt in with ``__audited__ = True``. Columns marked ``info={"audit": False}`` are not
recorded (bookkeeping such as timestamps); ``info={"audit": "redact"}`` records that the
value changed without recording it (password hashes, personal details). Entries are
written in the same transaction as the change, so a change and its audit entry are
committed or rolled back together, and entries are never updated or deleted, with one
exception: retention (core.retention) redacts the personal data that entries copied, once its
period has passed, through ``redact_history`` and SQL statements, and audits that it did.

Reading is limited too: a model may name, in ``__audit_readers__``, the permission needed to
see the values and labels of its entries (``readable_entries``); other readers of the trail see
that the record changed, when, by whom and which fields, with the values withheld. An auditor
limited to one year reads that year's entries only (``reader_date_range``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import tenancy
from core.bulk import bulk_insert
from core.db import Base, utcnow
from core.tenancy import ScopedOptional

REDACTED = "[redacted]"
#: In place of a value or label the reader of the trail may not see (it is recorded).
WITHHELD = "[withheld]"


class AuditEntry(ScopedOptional, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity", "entity_id"),
        Index("ix_audit_entries_at", "at"),
        # The trail page filters by record type and action, newest first.
        Index("ix_audit_entries_entity_action_id", "entity", "action", "id"),
        # A partnership's newest entries (home pages' recent activity, the trail's first page) and
        # its search by kind: without the partnership first, the newest-first scan walked every
        # other partnership's newer entries (450 ms at national size, 150 partnerships).
        Index("ix_audit_entries_partnership_recent", "partnership_id", "id"),
        Index("ix_audit_entries_partnership_entity_action", "partnership_id", "entity", "action", "id"),
        # An entry of the deployment's own (no partnership) is written from any scope but read
        # by none but the deployment (core.tenancy): its id comes from the sequence first, as
        # INSERT ... RETURNING would need to read the new row back.
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The signed-in user, or None for a command or the system.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: Who, in words: the user's email, or the command that made the change.
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(10))  # insert, update, delete
    #: Table name of the changed record, e.g. "organisations".
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[int | None]
    #: A short human label for the record at the time (its name or title).
    label: Mapped[str] = mapped_column(String(300), default="")
    #: {field: [before, after]} with values as JSON-safe text, numbers or null.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.entity}#{self.entity_id}>"


_command_actor: ContextVar[tuple[int | None, str] | None] = ContextVar("audit_command_actor", default=None)


@contextmanager
def acting_as(label: str, user_id: int | None = None) -> Iterator[None]:
    """Attribute changes made outside a request (commands, jobs) to ``label``."""
    token = _command_actor.set((user_id, label))
    try:
        yield
    finally:
        _command_actor.reset(token)


def set_request_actor(user_id: int | None, label: str) -> None:
    """Called by the request guard once the user is known (before any write)."""
    g.audit_actor = (user_id, label)


def current_actor() -> tuple[int | None, str, str]:
    """Who is acting, for audit entries: (user id, label, IP address)."""
    if has_request_context():
        actor = g.get("audit_actor")
        ip = request.remote_addr or ""
        if actor:
            return actor[0], actor[1], ip
        return None, "anonymous", ip
    command = _command_actor.get()
    if command:
        return command[0], command[1], ""
    return None, "system", ""


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _audited_columns(obj) -> list[tuple[str, Any]]:
    return _audited_columns_of(inspect(obj).mapper)


def _audited_columns_of(mapper) -> list[tuple[str, Any]]:
    out = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        policy = column.info.get("audit", True)
        if policy is False or column.primary_key:  # the key is the entry's entity_id
            continue
        out.append((attr.key, policy))
    return out


def _label(obj) -> str:
    field = getattr(type(obj), "__audit_label__", None)
    for key in ([field] if field else []) + ["name", "title", "reference", "email"]:
        value = inspect(obj).dict.get(key)
        if value:
            return str(value)[:300]
    return ""


def _changes(obj, action: str) -> dict[str, list]:
    state = inspect(obj)
    changes: dict[str, list] = {}
    for key, policy in _audited_columns(obj):
        if action == "insert":
            before, after = None, state.dict.get(key)
            if after is None:
                continue
        elif action == "delete":
            before, after = state.dict.get(key), None
        else:
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before == after:
                continue
        if policy == "redact":
            changes[key] = [REDACTED if before is not None else None, REDACTED]
        else:
            changes[key] = [_jsonable(before), _jsonable(after)]
    return changes


@event.listens_for(Session, "before_flush")
def _refuse_rewriting_history(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise PermissionError("The audit trail is append-only")
    # Load every column of a record about to be deleted, so its entry holds what was lost.
    for obj in session.deleted:
        if getattr(type(obj), "__audited__", False):
            state = inspect(obj)
            for key, _ in _audited_columns(obj):
                if key not in state.dict:
                    getattr(obj, key)


@event.listens_for(Base, "mapper_configured", propagate=True)
def _keep_old_values(mapper, class_) -> None:
    """Load a column's old value when it is set, so "before" is known even on an expired record."""
    if not getattr(class_, "__audited__", False):
        return
    for key, _ in _audited_columns_of(mapper):
        event.listen(getattr(class_, key), "set", _noop_set, active_history=True)


def _noop_set(target, value, oldvalue, initiator):
    return value


def _write_entry(connection, obj, action: str) -> None:
    """Mapper events fire for every row the flush writes, cascades and orphans included."""
    if not getattr(type(obj), "__audited__", False):
        return
    changes = _changes(obj, action)
    if action == "update" and not changes:
        return
    actor_id, actor_label, ip = current_actor()
    identity = inspect(obj).identity
    connection.execute(
        AuditEntry.__table__.insert(),
        {
            "at": utcnow(),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "entity": type(obj).__tablename__,
            "entity_id": identity[0] if identity else getattr(obj, "id", None),
            "partnership_id": tenancy.partnership_of(obj),
            "label": _label(obj),
            "changes": changes,
            "ip": ip,
        },
    )


def write_insert_entries(model: type[Base], rows: list[dict], ids: list[int], *, label_key: str) -> None:
    """The entries a flush would write for ``rows`` inserted in bulk (core.bulk, which bypasses
    the mapper events), written in bulk too: the same columns, redaction, actor and labels.
    ``ids`` are the rows' new ids, in order; ``label_key`` names the column each entry is labelled with."""
    if not rows:
        return
    columns = _audited_columns_of(inspect(model))
    actor_id, actor_label, ip = current_actor()
    at = utcnow()
    entries = []
    for row, row_id in zip(rows, ids, strict=True):
        changes = {}
        for key, policy in columns:
            value = row.get(key)
            if value is not None:
                changes[key] = [None, REDACTED if policy == "redact" else _jsonable(value)]
        entries.append(
            {
                "at": at,
                "actor_id": actor_id,
                "actor_label": actor_label,
                "action": "insert",
                "entity": model.__tablename__,
                "entity_id": row_id,
                "partnership_id": row.get("partnership_id", tenancy.current().single),
                "label": str(row.get(label_key) or "")[:300],
                "changes": changes,
                "ip": ip,
            }
        )
    bulk_insert(AuditEntry.__table__, entries)


@event.listens_for(Base, "after_insert", propagate=True)
def _after_insert(mapper, connection, obj) -> None:
    _write_entry(connection, obj, "insert")


@event.listens_for(Base, "after_update", propagate=True)
def _after_update(mapper, connection, obj) -> None:
    _write_entry(connection, obj, "update")


@event.listens_for(Base, "after_delete", propagate=True)
def _after_delete(mapper, connection, obj) -> None:
    _write_entry(connection, obj, "delete")


def redact_history(entity: str, entity_id: int, fields: list[str], *, label: str) -> int:
    """Rewrite the trail of one record so that it no longer holds ``fields``' values nor its old
    label: the one exception to an append-only trail, for retention (core.retention), done with
    SQL statements; the caller writes an entry saying so. Returns the entries rewritten."""
    from sqlalchemy import select, update

    from core.extensions import db

    rows = db.session.execute(
        select(AuditEntry.id, AuditEntry.changes).where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
    ).all()
    for entry_id, changes in rows:
        redacted = {
            key: [REDACTED if v is not None else None for v in values] if key in fields else values
            for key, values in (changes or {}).items()
        }
        db.session.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(label=label, changes=redacted))
    return len(rows)


def audit_query(
    *,
    entity: str = "",
    entity_id: int | None = None,
    actor: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
):
    """Entries matching the filters, newest first (a SELECT for paging or export)."""
    from datetime import UTC, time, timedelta

    from sqlalchemy import select

    query = select(AuditEntry)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor:
        query = query.where(AuditEntry.actor_label.ilike(f"%{actor.lower()}%"))
    if action:
        query = query.where(AuditEntry.action == action)
    if date_from:
        query = query.where(AuditEntry.at >= datetime.combine(date_from, time.min, UTC))
    if date_to:
        query = query.where(AuditEntry.at < datetime.combine(date_to + timedelta(days=1), time.min, UTC))
    return query.order_by(AuditEntry.id.desc())


def audited_tables() -> list[str]:
    """Names of every audited table, for the filter list."""
    return sorted(
        mapper.class_.__tablename__ for mapper in Base.registry.mappers if getattr(mapper.class_, "__audited__", False)
    )


def withheld_tables(reader) -> frozenset[str]:
    """The audited tables whose entries' values and labels ``reader`` may not see: those whose
    model names in ``__audit_readers__`` a permission the reader lacks. None (a command run by the
    operator on the server) sees everything."""
    from core.permissions import Permission, has_permission

    if reader is None:
        return frozenset()
    return frozenset(
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__audited__", False)
        and getattr(mapper.class_, "__audit_readers__", None)
        and not has_permission(reader, Permission(mapper.class_.__audit_readers__))
    )


@dataclass(frozen=True)
class ShownEntry:
    """An audit entry as one reader may see it (the template and the exports read these)."""

    id: int
    at: datetime
    actor_label: str
    action: str
    entity: str
    entity_id: int | None
    label: str
    changes: dict


def readable_entries(entries, withheld: frozenset[str]) -> Iterator[ShownEntry]:
    """Each entry with the values and label withheld where its table is in ``withheld``
    (lazily, so a long export streams)."""
    for e in entries:
        if e.entity in withheld:
            label = WITHHELD if e.label else ""
            changes = {
                f: [None if before is None else WITHHELD, None if after is None else WITHHELD]
                for f, (before, after) in (e.changes or {}).items()
            }
        else:
            label, changes = e.label, e.changes or {}
        yield ShownEntry(e.id, e.at, e.actor_label, e.action, e.entity, e.entity_id, label, changes)


def reader_date_range(reader, date_from: date | None, date_to: date | None) -> tuple[date | None, date | None]:
    """The dates asked for, narrowed to the reader's audit year when they are limited to one."""
    from core.permissions import year_limit

    limit = year_limit(reader)
    if limit is None:
        return date_from, date_to
    start, end = limit
    return max(date_from or start, start), min(date_to or end, end)


def limit_to_reader_year(query, column, reader):
    """``query`` narrowed to rows whose timestamp ``column`` falls in the reader's audit year
    (unchanged for a reader with no such limit)."""
    from datetime import UTC, time, timedelta

    start, end = reader_date_range(reader, None, None)
    if start is None:
        return query
    return query.where(
        column >= datetime.combine(start, time.min, UTC),
        column < datetime.combine(end + timedelta(days=1), time.min, UTC),
    )


def audit_rows(entries) -> tuple[list[str], Iterator[list]]:
    """Header and rows for a CSV or XLSX export: one row per changed field (lazily). Pass
    ``readable_entries(...)`` for a reader whose view is limited."""
    header = [
        "Entry",
        "When (UTC)",
        "Changed by",
        "Change",
        "Record type",
        "Record number",
        "Record",
        "Field",
        "Before",
        "After",
    ]

    def rows() -> Iterator[list]:
        for e in entries:
            base = [e.id, e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor_label, e.action, e.entity, e.entity_id, e.label]
            if not e.changes:
                yield base + ["", "", ""]
            for field, (before, after) in sorted(e.changes.items()):
                yield base + [field, _text(before), _text(after)]

    return header, rows()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)
