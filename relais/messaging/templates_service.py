"""The message aids' writes moved to relais.messaging.services.aids; this name stays
importable for the code that knows it."""

from relais.messaging.services.aids import (
    BODY_MAX,
    CONSIGNE_MAX,
    NAME_MAX,
    PHRASE_MAX,
    SUBJECT_MAX,
    banner_create,
    banner_delete,
    phrase_create,
    phrase_delete,
    phrase_move,
    phrase_update,
    require_aids_right,
    template_create,
    template_delete,
    template_update,
    template_usable_for,
)

__all__ = [
    "BODY_MAX",
    "CONSIGNE_MAX",
    "NAME_MAX",
    "PHRASE_MAX",
    "SUBJECT_MAX",
    "banner_create",
    "banner_delete",
    "phrase_create",
    "phrase_delete",
    "phrase_move",
    "phrase_update",
    "require_aids_right",
    "template_create",
    "template_delete",
    "template_update",
    "template_usable_for",
]
