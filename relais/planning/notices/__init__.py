"""« Prévenir d'une absence / d'un retard »: warn the contacts who have an appointment.

A delay (N minutes, from a time, on one day: the appointments from that time on) or an absence
(a day or a period, optionally cancelling the appointments). `notice_preview` says who would be
told, by which channel (SMS to a mobile, else e-mail, else « à appeler » for the operator), with
which text and how many SMS; `notice_send` writes, in one transaction:

- the Notice (who asked, kind, period, text), unique per (author, idempotency key): a double
  click or a retried request answers with the first notice and sends nothing more;
- the summary message on the client's file (relais.messaging.summaries), visible to the client;
- one outbox row (delivery.Delivery) per contact told, attached to that message with its own
  filled-in text: the delivery worker sends it like any copy (backends, retries, statuses), and
  the thread shows each copy's status;
- the cancellations (each appointment once, with its « Rendez-vous annulé » journal line) and
  one « Patients prévenus » line in the journal of movements.

Pages and the API call these two functions; the rules live here.
"""

from relais.planning.notices.preview import (
    NoticeInput,
    NoticePreview,
    NoticeRecipient,
    build_preview,
    notice_preview,
)
from relais.planning.notices.rules import (
    ABSENCE,
    ABSENCE_MAX_DAYS,
    CALL,
    CHANNEL_LABELS,
    DEFAULT_TEXTS,
    DELAY,
    EMAIL,
    KIND_LABELS,
    MINUTES_MAX,
    MINUTES_MIN,
    PLACEHOLDERS,
    SMS,
    TEXT_MAX,
    default_text,
    notice_allowed,
    notice_settings_of,
    notice_settings_update,
    placeholders_error,
    require_notice_right,
)
from relais.planning.notices.send import (
    NoticeSent,
    notice_body,
    notice_deliveries,
    notice_send,
    notice_send_with_copies,
    notice_subject,
)

__all__ = [
    "ABSENCE",
    "ABSENCE_MAX_DAYS",
    "CALL",
    "CHANNEL_LABELS",
    "DEFAULT_TEXTS",
    "DELAY",
    "EMAIL",
    "KIND_LABELS",
    "MINUTES_MAX",
    "MINUTES_MIN",
    "PLACEHOLDERS",
    "SMS",
    "TEXT_MAX",
    "NoticeInput",
    "NoticePreview",
    "NoticeRecipient",
    "NoticeSent",
    "build_preview",
    "default_text",
    "notice_allowed",
    "notice_body",
    "notice_deliveries",
    "notice_preview",
    "notice_send",
    "notice_send_with_copies",
    "notice_settings_of",
    "notice_settings_update",
    "notice_subject",
    "placeholders_error",
    "require_notice_right",
]
