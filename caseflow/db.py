"""Declarative base, time helpers and the unit-of-work helper shared by every feature."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Set before the first migration: every constraint gets a stable, predictable name, so
# that SQLite (batch mode) and PostgreSQL migrations can drop and alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite enforces foreign keys only when asked, per connection; WAL lets readers and a
    writer work at once in development."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def now_utc() -> datetime:
    """The current time as an aware UTC datetime (the only clock services read by default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    PostgreSQL keeps it as timestamptz; SQLite, which has no time zones, keeps naive UTC.
    Naive datetimes are refused on the way in, so no local time is ever stored by mistake.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column_type(values: tuple[str, ...] | list[str], name: str) -> sa.Enum:
    """A string enum with a CHECK constraint, identical on SQLite and PostgreSQL."""
    values = [str(v) for v in values]
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


@contextmanager
def transaction() -> Iterator[None]:
    """Run the enclosed service calls as one unit of work: commit once, roll back on any error.

    Services flush but never commit; views, API handlers, jobs and CLI commands wrap the one
    service they call in this block.
    """
    from caseflow.extensions import db

    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


# SQLSTATEs after which the whole transaction may simply be run again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
UNIQUE_VIOLATION = "23505"


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (PostgreSQL), or None."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or a serialization failure: nothing was written, running again may succeed."""
    return sqlstate(exc) in RETRYABLE_SQLSTATES


def lock_rows(model, ids) -> list:
    """Load the rows of `model` with these ids and lock them until the transaction ends
    (SELECT ... FOR UPDATE on PostgreSQL; SQLite has one writer at a time anyway).

    Locked in id order, so that two transactions locking overlapping sets never deadlock.
    """
    from caseflow.extensions import db

    ids = sorted(set(ids))
    if not ids:
        return []
    return list(db.session.scalars(_lock_statement(model), {"ids": ids}))


@cache
def _lock_statement(model) -> sa.Select:
    """lock_rows' statement for `model`, built once (the intake locks its students each time)."""
    return (
        sa.select(model)
        .where(model.id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(model.id)
        .with_for_update()
        # What another transaction committed while this one waited for the lock.
        .execution_options(populate_existing=True)
    )


@cache
def _row_plan(mapper) -> tuple:
    """new_row's reading of a mapper's columns, once per mapped class: per attribute, its key,
    its column's key, whether it is JSON, and what stands when it is not set (None: the
    database numbers it; else ("scalar", value) or ("callable", function) or ("none", None))."""
    plan = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if (
            column.primary_key
            and column.autoincrement in (True, "auto")
            and len(column.table.primary_key) == 1
        ):
            default = None
        elif column.default is not None and column.default.is_scalar:
            default = ("scalar", column.default.arg)
        elif column.default is not None and column.default.is_callable:
            default = ("callable", column.default.arg)
        else:
            default = ("none", None)
        plan.append((prop.key, column.key, isinstance(column.type, sa.JSON), default))
    return tuple(plan)


def new_row(obj) -> dict:
    """The values the unit of work would INSERT for a new object: those set on it, else each
    column's default (now set on the object too); an empty JSON column stays SQL NULL."""
    state = sa.inspect(obj)
    given = state.dict
    values = {}
    for key, column_key, is_json, default in _row_plan(state.mapper):
        if key in given:
            value = given[key]
            if value is not None or not is_json:
                values[column_key] = value
            continue
        if default is None:
            continue  # the database numbers it
        kind, arg = default
        value = arg(None) if kind == "callable" else arg
        setattr(obj, key, value)
        if value is not None or not is_json:
            values[column_key] = value
    return values


@cache
def _insert_statement(model) -> sa.Insert:
    table = model.__table__
    pk = list(table.primary_key)
    if len(pk) == 1 and pk[0].autoincrement in (True, "auto"):
        return sa.insert(table).returning(pk[0], sort_by_parameter_order=True)
    return sa.insert(table)


def insert_new(objects: list) -> None:
    """Store new objects of one mapped class with one INSERT (several rows in one statement,
    RETURNING their ids), not the unit of work's object-by-object flush. They are not added to
    the session: `add_as_stored` does that once their related objects are stored too."""
    from caseflow.extensions import db

    if not objects:
        return
    model = type(objects[0])
    result = db.session.connection().execute(_insert_statement(model), [new_row(o) for o in objects])
    if result.returns_rows:
        key = list(model.__table__.primary_key)[0].key
        for obj, new_id in zip(objects, result.scalars().all(), strict=True):
            setattr(obj, key, new_id)


def add_as_stored(*objects) -> None:
    """Put objects whose rows `insert_new` wrote into the session as loaded, unchanged rows (as a
    flush leaves them). The related objects they cascade to must be stored already, and passed
    first."""
    from sqlalchemy.orm import make_transient_to_detached

    from caseflow.extensions import db

    for obj in objects:
        make_transient_to_detached(obj)
    for obj in objects:
        db.session.add(obj)
