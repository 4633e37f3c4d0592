"""Writing rows of several tables in one round trip.

The send path writes a message and its recipients, read state, history lines and outbox rows
together. Each table's INSERT is compiled by Django's own compiler (pre_save runs, so
`auto_now_add` and defaults apply, and the columns follow the models); on PostgreSQL the
statements then go to the server as one multi-statement query: one round trip, and — outside a
transaction — one implicit transaction, so either every row is written or none is. Elsewhere
(SQLite, in-process: a round trip costs nothing) they run one after the other, in a transaction.
Ids are not read back: every row written this way either has a UUID made in Python or is not
referenced by its id afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import connections, transaction
from django.db.models import AutoField, BigAutoField, Model, SmallAutoField
from django.db.models.sql import InsertQuery

_AUTO = (AutoField, BigAutoField, SmallAutoField)


def insert_statements(objs: Sequence[Model], using: str) -> list[tuple[str, tuple[Any, ...]]]:
    """The INSERT of objs (instances of one model) as Django's bulk_create would write it,
    without reading ids back."""
    model = type(objs[0])
    opts = model._meta
    fields = [
        f
        for f in opts.concrete_fields
        if not f.generated and not (f.primary_key and isinstance(f, _AUTO))
    ]
    query = InsertQuery(model)
    query.insert_values(fields, list(objs), raw=False)
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
    statements: list[tuple[str, Sequence[Any]]] = []
    written: list[Model] = []
    for objs in groups:
        if objs:
            for obj in objs:
                obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
            statements += insert_statements(objs, using)
            written += objs
    statements += then
    if not statements:
        return 0
    if connection.vendor == "postgresql":
        # psycopg's client-side binding (Django's default) accepts several statements in one
        # execute: sent as one simple query, run as one transaction when none is open.
        sql = ";\n".join(s for s, _ in statements)
        params = tuple(p for _, ps in statements for p in ps)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        sent = 1
    else:
        scope = nullcontext() if connection.in_atomic_block else transaction.atomic(using=using)
        with scope, connection.cursor() as cursor:
            for one, values in statements:
                cursor.execute(one, values)
        sent = len(statements)
    for obj in written:
        obj._state.adding = False
        obj._state.db = using
    return sent
