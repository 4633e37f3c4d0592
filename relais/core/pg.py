"""PostgreSQL only: a cursor that binds its values on the server and prepares its statement.

Django's PostgreSQL cursors bind values on the client (psycopg's ClientCursor): each execute
sends the SQL text with the values written into it, which PostgreSQL parses and plans again,
and which psycopg, for a statement of more than 50 values, splits and quotes again in Python.
A hot statement whose text never changes (the send's rows: relais.core.bulk) goes through
`server_cursor` instead: its values travel apart from the text, and the statement is prepared
once per connection (psycopg keeps the prepared statements of a connection, at most
`prepared_max`, 100 by default).

Prepared statements need a direct connection to PostgreSQL, or a pooler that keeps them
(PgBouncer ≥ 1.21 with max_prepared_statements): RELAIS_PG_PREPARE=0 turns them off (the
values are still bound on the server).

The cursor is Django's wrapper around it: queries are logged and counted as any other, and
database errors come out as Django's (IntegrityError and the rest).
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings


@functools.cache
def _cursor_class() -> Any:
    # Imported when first used: loading Django's PostgreSQL backend is for PostgreSQL only.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Prepares what it executes unless told otherwise (RELAIS_PG_PREPARE)."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", getattr(settings, "RELAIS_PG_PREPARE", True) or None)
            return super().execute(query, params, **kwargs)  # type: ignore[misc]

    return PreparingCursor


@functools.cache
def _debug_wrapper_class() -> Any:
    # Imported when first used: loading Django's PostgreSQL backend is for PostgreSQL only.
    from django.db.backends.postgresql.base import CursorDebugWrapper
    from django.db.backends.utils import CursorWrapper

    class ServerDebugWrapper(CursorDebugWrapper):
        """Logs the statement as written (with %s), as no SQL text with the values exists."""

        def execute(self, sql: Any, params: Any = None) -> Any:
            with self.debug_sql(sql, params):
                return CursorWrapper.execute(self, sql, params)

    return ServerDebugWrapper


def server_cursor(connection: Any) -> Any:
    """A Django cursor over `connection` (a PostgreSQL one) that binds on the server and, unless
    RELAIS_PG_PREPARE is off, prepares what it executes."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _cursor_class()(connection.connection)
    if connection.queries_logged:
        return _debug_wrapper_class()(raw, connection)
    return connection.make_cursor(raw)
