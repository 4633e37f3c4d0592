"""A transactional provider's inbound webhook, through django-anymail: every provider's
payload arrives as one signal with the e-mail already parsed; it goes through the same
service as the other ways in."""

from __future__ import annotations

import logging
from typing import Any

from relais.inbound.mime import MalformedMail
from relais.inbound.models import InboundItem
from relais.inbound.services import email_ingest

logger = logging.getLogger(__name__)


def on_provider_inbound(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    if message is None:
        return
    try:
        outcome = email_ingest(raw=message.as_bytes(), source=InboundItem.PROVIDER)
    except MalformedMail:
        logger.warning("Inbound e-mail from %s unreadable; dropped.", esp_name)
        return
    logger.info("Inbound e-mail from %s: %s", esp_name, outcome.result)
