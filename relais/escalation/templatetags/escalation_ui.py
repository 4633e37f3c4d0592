"""Acknowledgement on the pages: the thread's line, the list badges, the composer's on-call
line, the operators' alerts."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.escalation.models import Escalation
from relais.escalation.selectors import alerts_for_user, escalation_cached, on_call_now
from relais.messaging.models import Message
from relais.tenancy import permissions as perms

register = template.Library()


def _hm(value: Any) -> str:
    return f"{timezone.localtime(value):%H:%M}"


def _dmy_hm(value: Any) -> str:
    local = timezone.localtime(value)
    return _("%(date)s à %(time)s") % {"date": f"{local:%d/%m/%Y}", "time": f"{local:%H:%M}"}


def ack_badge(escalation: Escalation | None) -> tuple[str, str] | None:
    """(css class, words) of a message's acknowledgement state, or None."""
    if escalation is None:
        return None
    how = escalation.get_ack_via_display()
    if escalation.ack_at is not None:
        return (
            "ack-ok",
            _("Pris en compte · %(who)s (%(how)s)") % {"who": escalation.ack_by_name, "how": how},
        )
    if escalation.alert_at is not None:
        return ("ack-alert", _("Non pris en compte — appeler"))
    if escalation.next_step_at is not None:
        return (
            "ack-wait",
            _("En attente · relance à %(time)s") % {"time": _hm(escalation.next_step_at)},
        )
    return ("ack-wait", _("En attente"))


def ack_badges_for(threads: Any) -> dict[Any, list[tuple[str, str]]]:
    """The acknowledgement badge of each message of a list page: the escalation comes with
    the rows (messaging.selectors.list_prefetch); no query here."""
    out: dict[Any, list[tuple[str, str]]] = {}
    for message in threads:
        escalation = message._state.fields_cache.get("escalation")
        badge = ack_badge(escalation)
        if badge:
            out[message.id] = [badge]
    return out


@register.simple_tag
def message_escalation(message: Message) -> Escalation | None:
    return escalation_cached(message)


@register.simple_tag
def ack_line(escalation: Escalation | None) -> dict[str, str] | None:
    """The thread's sentence: « Pris en compte par … le jj/mm/aaaa à HH:MM (lien) », « En
    attente de prise en compte — relance à HH:MM », or the alert."""
    if escalation is None:
        return None
    if escalation.ack_at is not None:
        return {
            "cls": "ack-ok",
            "text": _("Pris en compte par %(who)s le %(when)s (%(how)s)")
            % {
                "who": escalation.ack_by_name or _("le destinataire"),
                "when": _dmy_hm(escalation.ack_at),
                "how": escalation.get_ack_via_display(),
            },
        }
    if escalation.alert_at is not None:
        return {
            "cls": "ack-alert",
            "text": _("Urgence non prise en compte — appeler (alerte depuis %(time)s)")
            % {"time": _hm(escalation.alert_at)},
        }
    text = _("En attente de prise en compte")
    if escalation.next_step_at is not None:
        is_alert = escalation.next_step >= len(escalation.steps)
        text += " — " + (
            _("alerte des opérateurs à %(time)s") if is_alert else _("relance à %(time)s")
        ) % {"time": _hm(escalation.next_step_at)}
    elif escalation.stopped_reason:
        text += " — " + _("escalade arrêtée")
    return {"cls": "ack-wait", "text": text}


@register.simple_tag
def on_call_line(client: Any) -> str:
    """« Astreinte : Dr Girard jusqu'à 08:00 », or "" when the client has no rota."""
    if not (client.on_call or {}).get("weekly") and not (client.on_call or {}).get("exceptions"):
        return ""
    now = on_call_now(client=client)
    if now["person"] is None:
        return _("Astreinte : personne à cette heure")
    return _("Astreinte : %(who)s jusqu'à %(time)s") % {
        "who": now["person"].name,
        "time": f"{now['until_local']:%H:%M}",
    }


@register.simple_tag(takes_context=True)
def escalation_alerts(context: Any) -> list[dict[str, Any]]:
    user = context.get("me") or getattr(context.get("request"), "user", None)
    if user is None or not getattr(user, "is_staff_user", False):
        return []
    return alerts_for_user(user=user)


@register.filter
def has_on_call_right(user: Any) -> bool:
    return bool(
        user and getattr(user, "is_staff_user", False) and user.has_right(perms.MESSAGES_ON_CALL)
    )
