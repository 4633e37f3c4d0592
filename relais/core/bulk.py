"""Writing rows of several tables in one round trip.

The send path writes a message and its recipients, read state, history lines and outbox rows
together. Each row's values are what Django's own INSERT would write (pre_save runs, so
`auto_now_add` and defaults apply, and each field prepares its value for the database).

On PostgreSQL the rows travel as one JSON document in one statement, whose data-modifying CTEs
insert each table's rows (`jsonb_populate_recordset`, the table's own row type converting the
values); a `then` statement (the live event's INSERT and NOTIFY) ends it. The statement's text
depends only on which tables are written, never on the values or how many rows: it is
prepared once per connection (server-side binding, one parameter), so neither psycopg nor
PostgreSQL parses or plans it again. One statement is one implicit transaction outside a
transaction: either every row is written or none is. The foreign keys are checked at commit
(Django creates them DEFERRABLE INITIALLY DEFERRED), so the order of the CTEs does not matter.

A value that JSON cannot carry exactly (an expression, a type not listed in `_json_value`)
sends the statements the older way: Django's compiled INSERTs joined in one multi-statement
query. Elsewhere (SQLite, in-process: a round trip costs nothing) they run one after the other,
in a transaction. Ids are not read back: every row written this way either has a UUID made in
Python or is not referenced by its id afterwards.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import threading
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import connections, models, transaction
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField
from django.db.models.sql import InsertQuery
from psycopg.types.json import Json, Jsonb

from relais.core.pg import server_cursor

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def _insert_fields(model: type[Model]) -> list[Field[Any, Any]]:
    """The fields an INSERT writes: every concrete one but a generated column and an
    auto-incremented key."""
    return [
        f
        for f in model._meta.concrete_fields
        if not f.generated and not (f.primary_key and isinstance(f, _AUTO))
    ]


def insert_statements(objs: Sequence[Model], using: str) -> list[tuple[str, tuple[Any, ...]]]:
    """The INSERT of objs (instances of one model) as Django's bulk_create would write it,
    without reading ids back."""
    model = type(objs[0])
    query = InsertQuery(model)
    query.insert_values(_insert_fields(model), list(objs), raw=False)
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = None
    return compiler.as_sql()  # type: ignore[no-any-return]


def insert_together(
    groups: Sequence[Sequence[Model]],
    using: str = "default",
    *,
    then: Sequence[tuple[str, Sequence[Any]]] = (),
) -> int:
    """Inserts each group (instances of one model each, in order: parents first), then runs
    the statements of `then` (SQL and values) in the same transaction. Returns the number of
    statements sent to the database (1 on PostgreSQL)."""
    connection = connections[using]
    groups = [objs for objs in groups if objs]
    for objs in groups:
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    written = [obj for objs in groups for obj in objs]
    if not groups and not then:
        return 0
    if connection.vendor == "postgresql":
        one = _json_statement(groups, then, connection)
        if one is None:
            # psycopg's client-side binding (Django's default) accepts several statements in
            # one execute: sent as one simple query, run as one transaction when none is open.
            statements: list[tuple[str, Sequence[Any]]] = [
                s for objs in groups for s in insert_statements(objs, using)
            ]
            statements += then
            sql = ";\n".join(s for s, _ in statements)
            params = tuple(p for _, ps in statements for p in ps)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
        else:
            with server_cursor(connection) as cursor:
                cursor.execute(*one)
        sent = 1
    else:
        statements = [s for objs in groups for s in insert_statements(objs, using)]
        statements += then
        scope = nullcontext() if connection.in_atomic_block else transaction.atomic(using=using)
        with scope, connection.cursor() as cursor:
            for sql, values in statements:
                cursor.execute(sql, values)
        sent = len(statements)
    for obj in written:
        obj._state.adding = False
        obj._state.db = using
    return sent


# --- PostgreSQL: one statement, one JSON parameter ------------------------------------------


class _NotJson(Exception):
    """A value JSON cannot carry exactly: the rows go the older way."""


def _json_value(value: Any) -> Any:
    """A value prepared for the database (get_db_prep_save), as the JSON that the column's
    type reads back to the same value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # read in the session's time zone: not the same instant
            raise _NotJson
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, Json | Jsonb):
        # A JSONField's value, as psycopg's wrapper would send it (with the field's encoder).
        return json.loads((value.dumps or json.dumps)(value.obj))
    raise _NotJson


# Exactly these field classes (not their subclasses, which may convert values: a phone number
# field, say) and these value types; a UUID goes as its text.
_PLAIN_FIELDS = frozenset(
    {
        models.CharField,
        models.TextField,
        models.EmailField,
        models.SlugField,
        models.BooleanField,
        models.IntegerField,
        models.SmallIntegerField,
        models.BigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.UUIDField,
        models.ForeignKey,
        models.OneToOneField,
    }
)
_PLAIN_VALUES = frozenset({str, bool, int, type(None)})


class _Table:
    """How one model's rows go into the statement: its columns and their CTE."""

    def __init__(self, model: type[Model]) -> None:
        self.fields = _insert_fields(model)
        self.columns = [str(f.column) for f in self.fields]
        table = _quote(model._meta.db_table)
        columns = ", ".join(_quote(c) for c in self.columns)
        self.cte = (
            f"INSERT INTO {table} ({columns}) SELECT {columns} "
            f"FROM _rows, jsonb_populate_recordset(NULL::{table}, _rows.j -> {{index}})"
        )

        # Fields whose value, of a plain type, goes to the database as it is: read straight
        # from the instance (Django's pre_save and get_db_prep_save would return it unchanged).
        self.plain = [type(f) in _PLAIN_FIELDS for f in self.fields]
        self.attnames = [f.attname for f in self.fields]

    def row(self, obj: Model, connection: Any) -> dict[str, Any]:
        row = {}
        for f, column, attname, plain in zip(
            self.fields, self.columns, self.attnames, self.plain, strict=True
        ):
            if plain:
                value = getattr(obj, attname)
                kind = type(value)
                if kind in _PLAIN_VALUES:
                    row[column] = value
                    continue
                if kind is uuid.UUID:
                    row[column] = str(value)
                    continue
            value = f.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise _NotJson
            row[column] = _json_value(f.get_db_prep_save(value, connection=connection))
        return row


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_TABLES: dict[type[Model], _Table] = {}
_STATEMENTS: dict[tuple[Any, ...], str] = {}
_LOCK = threading.Lock()


def _table(model: type[Model]) -> _Table:
    found = _TABLES.get(model)
    if found is None:
        with _LOCK:
            found = _TABLES.setdefault(model, _Table(model))
    return found


def _statement(models: tuple[type[Model], ...], then_sql: str) -> str:
    key = (models, then_sql)
    found = _STATEMENTS.get(key)
    if found is not None:
        return found
    parts = ["_rows AS (SELECT %s::jsonb AS j)"]
    parts += [f"_t{i} AS ({_table(m).cte.format(index=i)})" for i, m in enumerate(models)]
    if then_sql[:5].upper() == "WITH ":
        # The then statement's own CTEs join ours; its main statement ends the whole.
        sql = "WITH " + ", ".join(parts) + ", " + then_sql[5:]
    else:
        sql = "WITH " + ", ".join(parts) + " " + (then_sql or "SELECT 1")
    with _LOCK:
        return _STATEMENTS.setdefault(key, sql)


def _json_statement(
    groups: Sequence[Sequence[Model]],
    then: Sequence[tuple[str, Sequence[Any]]],
    connection: Any,
) -> tuple[str, tuple[Any, ...]] | None:
    """The one statement and its values, or None when a value cannot go as JSON or `then`
    holds more than one statement."""
    if len(then) > 1:
        return None
    models = tuple(type(objs[0]) for objs in groups)
    try:
        rows = [
            [table.row(obj, connection) for obj in objs]
            for table, objs in zip(map(_table, models), groups, strict=True)
        ]
    except _NotJson:
        return None
    then_sql, then_params = then[0] if then else ("", ())
    document = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return _statement(models, then_sql), (document, *then_params)
