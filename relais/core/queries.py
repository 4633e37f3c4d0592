"""Query helpers for hot paths."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from relais.core.pg import server_cursor

M = TypeVar("M", bound=Model)


def first_or_none(qs: QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None. Unlike .first() it adds no ORDER BY:
    compiling one costs about a quarter of a simple query's time and buys nothing here."""
    return next(iter(qs.order_by()[:1]), None)


def capped_count_sql(qs: QuerySet[Any], cap: int) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters of COUNT(*) over qs's first `cap` rows: a count that stops there."""
    sql, params = qs.order_by().values("pk")[:cap].query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) capped", tuple(params)


def loaded(obj: M) -> M:
    """Marks an instance built from a row read another way (a Prepared query, JSON) as coming
    from the database: saving it updates, its lazy relations query the default database."""
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj


def from_row(model: type[M], row: dict[str, Any], prefix: str = "") -> M:
    """An instance of model from a values() row holding every concrete field, under
    `prefix + attname` (e.g. "user__" for a related row)."""
    fields = model._meta.concrete_fields
    # Positional, in the fields' order: Model.__init__'s fast path (no keyword matching).
    return loaded(model(*[row[prefix + f.attname] for f in fields]))


class Prepared:
    """A values() queryset built and compiled once per shape, then run with new values.

    Building and compiling a query through the ORM costs more CPU than PostgreSQL spends
    answering a lookup by primary key. For the send's hot lookup the SQL is compiled once per
    shape (`key`: what changes the SQL text, such as how many ids an IN list holds); later calls
    put their own values in place of the first call's and keep the ORM's converters, so rows
    come back exactly as `.values()` would give them.

    `build(*key, *slots)` returns the queryset; each slot must reach the query as a parameter.
    `slots` names the type of each (UUID when not given): a UUID compared with a UUID column or
    a text compared with a text column (the first call passes UUIDs as stand-ins for both), a
    date compared with a date column, an aware datetime with a datetime column (stand-ins: a
    random date or instant before 1900). If one doesn't reach the query as a parameter (Django
    folded it into the SQL text, or the database adapts it to another form, as SQLite does with
    dates), the query is never cached: each call builds it.

    At most `max_shapes` shapes are kept (the least recently used goes first): a key that a
    caller controls, such as a list's length, cannot make the cache grow without bound, and
    finding the slots in the compiled parameters costs one pass over them (a dict of the
    stand-ins), whatever the number of values.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet[Any]],
        slots: Sequence[type] = (),
        *,
        max_shapes: int = 32,
        unused: Callable[[tuple[Any, ...]], set[int]] | None = None,
    ) -> None:
        self.build = build
        self.slot_types = tuple(slots)
        self.max_shapes = max_shapes
        # The slots a shape does not use at all (by their index), when some shapes leave some
        # out: a slot it uses must still be found among the parameters.
        self.unused = unused or (lambda key: set())
        self._shapes: OrderedDict[tuple[Any, ...], _Shape | None] = OrderedDict()
        self._lock = threading.Lock()

    def sentinels(self, n: int) -> list[Any]:
        """Stand-ins for n values, each found in the compiled parameters by equality."""
        types = self.slot_types + (uuid.UUID,) * (n - len(self.slot_types))
        return [_sentinel(kind) for kind in types[:n]]

    def rows(self, key: tuple[Any, ...], *values: Any) -> list[dict[str, Any]]:
        connection = connections[DEFAULT_DB_ALIAS]
        shape_key = (connection.vendor, *key)
        with self._lock:
            known = shape_key in self._shapes
            if known:
                self._shapes.move_to_end(shape_key)
                shape = self._shapes[shape_key]
        if not known:
            shape = _Shape.compile(
                self.build, key, self.sentinels(len(values)), connection, self.unused(key)
            )
            with self._lock:
                self._shapes[shape_key] = shape
                self._shapes.move_to_end(shape_key)
                while len(self._shapes) > self.max_shapes:
                    self._shapes.popitem(last=False)
        if shape is None:
            return list(self.build(*key, *values))
        return shape.run(values, connection)


_EPOCH = dt.datetime(1100, 1, 1, tzinfo=dt.UTC)


def _sentinel(kind: type) -> Any:
    if kind is uuid.UUID:
        return uuid.uuid4()
    offset = dt.timedelta(microseconds=secrets.randbelow(800 * 365 * 86_400 * 10**6))
    if kind is dt.datetime:
        return _EPOCH + offset
    if kind is dt.date:
        return (_EPOCH + offset).date()
    raise TypeError(f"Prepared: no stand-in for {kind.__name__} values")


class _Shape:
    def __init__(
        self,
        sql: str,
        params: list[Any],
        slots: list[tuple[int, int, str]],
        names: list[str],
        converters: dict[int, tuple[list[Any], Any]],
    ) -> None:
        self.sql, self.params, self.slots = sql, params, slots
        self.names, self.converters = names, converters

    @classmethod
    def compile(
        cls,
        build: Callable[..., QuerySet[Any]],
        key: tuple[Any, ...],
        sentinels: list[Any],
        connection: Any,
        unused: Collection[int] = (),
    ) -> _Shape | None:
        n = len(sentinels)
        qs = build(*key, *sentinels)
        query = qs.query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        # Each stand-in under every form it may take in the parameters: one dict lookup per
        # parameter (stand-ins are random, so no two share a form).
        forms: dict[tuple[type, Any], tuple[int, str]] = {}
        for j, sentinel in enumerate(sentinels):
            forms[(type(sentinel), sentinel)] = (j, "same")
            if isinstance(sentinel, uuid.UUID):
                forms[(str, sentinel.hex)] = (j, "hex")  # a UUID on SQLite
                forms[(str, str(sentinel))] = (j, "text")  # a text column
        slots: list[tuple[int, int, str]] = []
        for i, param in enumerate(params):
            try:
                found = forms.get((type(param), param))
            except TypeError:  # an unhashable parameter (a list, a dict): never a stand-in
                continue
            if found is not None:
                slots.append((i, *found))
        if {j for _, j, _ in slots} != set(range(n)) - set(unused):
            return None
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = [s[0] for s in compiler.select[: len(names)]]
        converters = compiler.get_converters(fields)
        return cls(sql, list(params), slots, names, converters)

    def run(self, values: Sequence[Any], connection: Any) -> list[dict[str, Any]]:
        params = list(self.params)
        for i, j, form in self.slots:
            value = values[j]
            params[i] = value.hex if form == "hex" else (str(value) if form == "text" else value)
        # On PostgreSQL its values are bound on the server and the statement is prepared once
        # per connection (relais.core.pg): PostgreSQL neither parses nor plans it again.
        pg = connection.vendor == "postgresql"
        with server_cursor(connection) if pg else connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            values_ = list(row)
            # What SQLCompiler.apply_converters does, with this thread's connection.
            for pos, (converters, expression) in self.converters.items():
                value = values_[pos]
                for converter in converters:
                    value = converter(value, expression, connection)
                values_[pos] = value
            found.append(dict(zip(self.names, values_, strict=True)))
        return found


class PreparedInstances:
    """Prepared's counterpart for model instances (with their select_related rows): a query
    compiled once on this thread's connection and run again with one parameter changed — the
    `mark` value the queryset was built with. For the delivery worker's load of a claimed
    chunk with its content (five tables joined), compiling cost more than running it. Bound to
    the connection it was compiled on: keep one per connection."""

    def __init__(self, queryset: QuerySet[Any], mark: object) -> None:
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.compiler = queryset.query.get_compiler(connection=self.connection)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.slot = self.params.index(mark)
        select, klass_info = self.compiler.select, self.compiler.klass_info
        assert klass_info is not None
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        # What ModelIterable does with a compiled query (Django 5.2; its signature changes in
        # 6.0, which the delivery tests would show at once).
        self.populators = get_related_populators(klass_info, select, self.connection.alias)  # type: ignore[call-arg]

    def run(self, value: object) -> list[Any]:
        params = list(self.params)
        params[self.slot] = value
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        objects = []
        alias = self.connection.alias
        for row in self.compiler.results_iter([rows]):
            obj = self.model.from_db(alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects
