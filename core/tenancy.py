"""Partnerships sharing one deployment: which partnership's rows a request, command or job may
read and write.

One mechanism, in one place, instead of a filter remembered in each query:

- Every partnership-owned table carries ``partnership_id`` (the ``Scoped`` mixin).
- The *scope* of the running request or command says which partnerships it serves: one (a
  signed-in user's own), several (a regional roll-up), none (an anonymous page) or all (the
  deployment's own upkeep: migrations, backups, a retention run choosing each partnership in
  turn). Requests start with none and take the signed-in user's partnership; commands outside a
  request start with all and narrow it (``scoped``).
- Every ORM query (select, update, delete, relationship loads, ``session.get``) is given the
  scope's criteria on each scoped entity it touches, and on the partnerships table itself; so an
  object of another partnership is simply not found (a 404 on a page).
- A new row takes the scope's partnership; writing a row outside the scope is refused.
- On PostgreSQL the scope is also set in the transaction (``app.partnerships``), and every
  partnership-owned table has a row-level security policy reading it (migration 0015): a query
  that bypassed the ORM, or forgot its scope, still sees nothing foreign. SQLite has no row-level
  security and relies on the ORM criteria alone.
"""

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import click
from flask import g, has_app_context
from sqlalchemy import ForeignKey, column, event, inspect, select, table
from sqlalchemy.orm import (
    MANYTOONE,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

#: The table the partnerships live in (the kernel knows its name and its ``id``, nothing more).
TENANT_TABLE = "partnerships"
#: The partnerships table as the kernel knows it: an id and a name.
_TENANTS = table(TENANT_TABLE, column("id"), column("name"))
#: The PostgreSQL setting the row-level security policies read: "*" (all), "" (none) or "1,7".
SETTING = "app.partnerships"


class TenancyError(RuntimeError):
    """A write outside the scope, or a new row whose partnership cannot be told."""


@dataclass(frozen=True)
class Scope:
    #: The partnerships served; None for every partnership.
    ids: frozenset[int] | None

    @classmethod
    def of(cls, ids: int | Iterable[int]) -> "Scope":
        return cls(frozenset([ids] if isinstance(ids, int) else ids))

    @property
    def everything(self) -> bool:
        return self.ids is None

    @property
    def single(self) -> int | None:
        """The one partnership served, if exactly one."""
        if self.ids is not None and len(self.ids) == 1:
            return next(iter(self.ids))
        return None

    def allows(self, partnership_id: int | None) -> bool:
        return self.ids is None or partnership_id in self.ids

    @property
    def setting(self) -> str:
        if self.ids is None:
            return "*"
        return ",".join(str(i) for i in sorted(self.ids))


ALL = Scope(None)
NONE = Scope(frozenset())


class Scoped:
    """Mixin: a partnership-owned table. New rows take the scope's partnership."""

    @declared_attr
    def partnership_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey(f"{TENANT_TABLE}.id", ondelete="RESTRICT"),
            index=True,
            default=_new_row_partnership,
            info={"audit": False},  # the entry itself records its partnership
        )


class ScopedOptional:
    """Mixin: a log whose entries mostly belong to a partnership, some to the deployment (a
    sign-in with an unknown email). Entries without one are read only with every partnership."""

    @declared_attr
    def partnership_id(cls) -> Mapped[int | None]:
        return mapped_column(
            ForeignKey(f"{TENANT_TABLE}.id", ondelete="RESTRICT"),
            index=True,
            default=_optional_row_partnership,
            info={"audit": False},
        )


_tenant_model: type | None = None


def register_tenant_model(model: type) -> None:
    """The partnerships' own model: a scope reads only its own partnerships' rows of it."""
    global _tenant_model
    _tenant_model = model
    _criteria_for_ids.cache_clear()  # criteria built before now lack the partnerships' own


# --- the scope -------------------------------------------------------------------------------


def current() -> Scope:
    """The scope of the running request or command (every partnership outside one)."""
    if has_app_context():
        return g.get("_tenancy_scope", ALL)
    return ALL


def set_scope(scope: Scope) -> None:
    """Serve ``scope`` from now on in this request or command (and in its open transaction)."""
    g._tenancy_scope = scope
    from core.extensions import db

    session = db.session()
    if session.in_transaction():
        _apply_setting(session.connection(), scope)


@contextmanager
def scoped(scope: Scope | int | Iterable[int]) -> Iterator[Scope]:
    """Serve ``scope`` (a Scope, a partnership id or ids) inside the block, then the one before."""
    if not isinstance(scope, Scope):
        scope = Scope.of(scope)
    before = current()
    set_scope(scope)
    try:
        yield scope
    finally:
        set_scope(before)


def require_single() -> int:
    """The one partnership served; TenancyError when the scope is not exactly one."""
    pid = current().single
    if pid is None:
        raise TenancyError("this needs one partnership in scope")
    return pid


# --- defaults for new rows ---------------------------------------------------------------------


def _only_partnership(connection) -> int | None:
    rows = connection.execute(select(_TENANTS.c.id).order_by(_TENANTS.c.id).limit(2)).all()
    return rows[0][0] if len(rows) == 1 else None


def _new_row_partnership(context) -> int:
    scope = current()
    if scope.single is not None:
        return scope.single
    # Outside a one-partnership scope (a command, a test building data): a deployment of one
    # partnership has no doubt to resolve; with several the writer must name the partnership.
    if scope.everything and context is not None:
        only = _only_partnership(context.connection)
        if only is not None:
            return only
    raise TenancyError(
        "a new row needs its partnership: run this in one partnership's scope (core.tenancy.scoped) "
        "or give partnership_id"
    )


def _optional_row_partnership(context) -> int | None:
    return current().single


def partnership_of(obj) -> int | None:
    """The partnership a record belongs to (a partnership's own record: itself); None for none."""
    if _tenant_model is not None and isinstance(obj, _tenant_model):
        return obj.id
    return getattr(obj, "partnership_id", None) if isinstance(obj, Scoped | ScopedOptional) else current().single


# --- the ORM guard ---------------------------------------------------------------------------


def _criteria_for(scope: Scope) -> tuple:
    return _criteria_for_ids(tuple(sorted(scope.ids)))


@functools.lru_cache(maxsize=1024)
def _criteria_for_ids(ids: tuple[int, ...]) -> tuple:
    """The loader criteria of one scope, built once per process and scope (they are immutable
    statement options, not results: building them was a tenth of a page's time)."""
    options = []
    if len(ids) == 1:
        pid = ids[0]
        options.append(with_loader_criteria(Scoped, lambda cls: cls.partnership_id == pid, include_aliases=True))
        options.append(
            with_loader_criteria(ScopedOptional, lambda cls: cls.partnership_id == pid, include_aliases=True)
        )
        if _tenant_model is not None:
            options.append(with_loader_criteria(_tenant_model, lambda cls: cls.id == pid, include_aliases=True))
    else:
        options.append(with_loader_criteria(Scoped, lambda cls: cls.partnership_id.in_(ids), include_aliases=True))
        options.append(
            with_loader_criteria(ScopedOptional, lambda cls: cls.partnership_id.in_(ids), include_aliases=True)
        )
        if _tenant_model is not None:
            options.append(with_loader_criteria(_tenant_model, lambda cls: cls.id.in_(ids), include_aliases=True))
    return tuple(options)


@event.listens_for(Session, "do_orm_execute")
def _limit_to_scope(state: ORMExecuteState) -> None:
    if state.is_column_load or state.execution_options.get("every_partnership"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = current()
    if scope.everything:
        return
    state.statement = state.statement.options(*_criteria_for(scope))


def _parents_partnership(session: Session, obj) -> int | None:
    """The partnership of the row ``obj`` points to (its plan, its organisation, its user), if any."""
    table = type(obj).__table__
    for fk in table.foreign_keys:
        if fk.parent.name == "partnership_id":
            continue
        target = _model_of_table(fk.column.table.name)
        if target is None:
            continue
        key = getattr(obj, fk.parent.key, None)
        parent = None
        for relationship in inspect(type(obj)).relationships:
            if relationship.direction is MANYTOONE and fk.parent in relationship.local_columns:
                parent = obj.__dict__.get(relationship.key)
                break
        if parent is None and key is not None:
            with session.no_autoflush:
                parent = session.get(target, key, execution_options={"every_partnership": True})
        if parent is None:
            continue
        pid = parent.id if target is _tenant_model else parent.partnership_id
        if pid is not None:
            return pid
    return None


@functools.cache
def _model_of_table(name: str) -> type | None:
    """The scoped (or tenant) model mapped to table ``name``."""
    from core.db import Base

    for mapper in Base.registry.mappers:
        model = mapper.class_
        if getattr(model, "__tablename__", None) == name:
            if issubclass(model, Scoped | ScopedOptional) or model is _tenant_model:
                return model
            return None
    return None


@event.listens_for(Session, "before_flush")
def _refuse_foreign_writes(session: Session, flush_context, instances) -> None:
    scope = current()
    for obj in session.new:
        # A new row belongs where the row it hangs from belongs (a row of a plan, a person of an
        # organisation), whoever writes it; the scope's partnership otherwise (the column default).
        if isinstance(obj, Scoped | ScopedOptional) and obj.partnership_id is None:
            obj.partnership_id = _parents_partnership(session, obj)
    if scope.everything:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Scoped | ScopedOptional):
            pid = obj.partnership_id
            if pid is None and obj in session.new:
                continue  # the column default gives it the scope's partnership
            if pid is None and isinstance(obj, ScopedOptional):
                continue
            if not scope.allows(pid):
                raise TenancyError(f"{type(obj).__name__} belongs to another partnership")
        elif _tenant_model is not None and isinstance(obj, _tenant_model) and obj not in session.new:
            if not scope.allows(obj.id):
                raise TenancyError("another partnership's settings")


# --- PostgreSQL: the setting the row-level security policies read -------------------------------


def _apply_setting(connection, scope: Scope) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT set_config(%s, %s, true)", (SETTING, scope.setting))


@event.listens_for(Session, "after_begin")
def _set_transaction_scope(session: Session, transaction, connection) -> None:
    _apply_setting(connection, current())


def every_partnership_connection(connection) -> None:
    """For a connection used outside the ORM session by the deployment's own upkeep (backups,
    test set-up): read and write every partnership's rows in its current transaction."""
    _apply_setting(connection, ALL)


# --- commands --------------------------------------------------------------------------------


def partnership_ids() -> list[int]:
    """Every partnership on the deployment, for upkeep that serves each in turn."""
    from core.extensions import db

    with scoped(ALL):
        return list(db.session.scalars(select(_TENANTS.c.id).order_by(_TENANTS.c.id)))


def resolve_partnership(given: str | None) -> int:
    """The partnership a command names (its id or exact name); the only one when none is named.
    Raises click.UsageError, naming the choices, otherwise."""
    from core.extensions import db

    with scoped(ALL):
        rows = db.session.execute(select(_TENANTS.c.id, _TENANTS.c.name).order_by(_TENANTS.c.id)).all()
    if not rows:
        raise click.UsageError("There is no partnership yet: create one with 'flask partnership create'.")
    if given is None or given == "":
        if len(rows) == 1:
            return rows[0][0]
        raise click.UsageError(
            "This deployment has several partnerships: say which with --partnership NAME or ID "
            f"({'; '.join(f'{pid}: {name}' for pid, name in rows)})."
        )
    for pid, name in rows:
        if given == str(pid) or given.strip().casefold() == name.casefold():
            return pid
    raise click.UsageError(f"No partnership is called or numbered {given!r}: see 'flask partnership list'.")


def partnership_option(command):
    """Give a command that serves one partnership ``--partnership NAME|ID`` (the only one by
    default) and run it in that partnership's scope."""

    @click.option(
        "--partnership",
        "partnership_given",
        metavar="NAME|ID",
        envvar="PARTNERSHIP",
        help="The partnership to serve (its name or id; the only one when there is one).",
    )
    @functools.wraps(command)
    def run(*args, partnership_given: str | None = None, **kwargs):
        with scoped(resolve_partnership(partnership_given)):
            return command(*args, **kwargs)

    return run
