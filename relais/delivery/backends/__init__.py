"""Channel backends, chosen by settings: RELAIS_EMAIL_BACKEND, RELAIS_SMS_BACKEND,
RELAIS_FAX_BACKEND. Each holds an alias below or a dotted path to a Backend subclass."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from relais.delivery.backends.base import Backend

ALIASES: dict[str, dict[str, str]] = {
    "email": {
        "outbox": "relais.delivery.backends.outbox.OutboxBackend",
        "memory": "relais.delivery.backends.memory.MemoryBackend",
        "smtp": "relais.delivery.backends.email.DjangoMailBackend",
    },
    "sms": {
        "outbox": "relais.delivery.backends.outbox.OutboxBackend",
        "memory": "relais.delivery.backends.memory.MemoryBackend",
        "brevo": "relais.delivery.backends.brevo.BrevoSMSBackend",
        "email-gateway": "relais.delivery.backends.gateway.EmailToSMSBackend",
    },
    "fax": {
        "outbox": "relais.delivery.backends.outbox.OutboxBackend",
        "memory": "relais.delivery.backends.memory.MemoryBackend",
        "email-gateway": "relais.delivery.backends.gateway.EmailToFaxBackend",
    },
}
SETTINGS = {
    "email": "RELAIS_EMAIL_BACKEND",
    "sms": "RELAIS_SMS_BACKEND",
    "fax": "RELAIS_FAX_BACKEND",
}


def backend_path(channel: str) -> str:
    value = str(getattr(settings, SETTINGS[channel], "outbox") or "outbox")
    return ALIASES[channel].get(value, value)


def get_backend(channel: str) -> Backend:
    path = backend_path(channel)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{SETTINGS[channel]}: unknown backend {path!r}") from exc
    backend = cls()
    if not isinstance(backend, Backend):
        raise ImproperlyConfigured(f"{SETTINGS[channel]}: {path!r} is not a delivery backend")
    return backend


class BackendPool:
    """The backends of one batch, opened on first use and closed together."""

    def __init__(self) -> None:
        self._open: dict[str, Backend] = {}

    def get(self, channel: str) -> Backend:
        if channel not in self._open:
            backend = get_backend(channel)
            backend.open()
            self._open[channel] = backend
        return self._open[channel]

    def close(self) -> None:
        for backend in self._open.values():
            backend.close()
        self._open.clear()
