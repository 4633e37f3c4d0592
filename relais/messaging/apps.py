from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from relais.core.fts import search_document


def _register_search_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite's search triggers analyse text in Python (relais.messaging.search_sql)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "relais_search_doc", -1, search_document, deterministic=True
        )


class MessagingConfig(AppConfig):
    name = "relais.messaging"
    label = "messaging"

    def ready(self) -> None:
        connection_created.connect(_register_search_functions, dispatch_uid="relais_search_doc")
