"""Formatting for the pages: French dates, thread badges, history sentences."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from relais.core.text import french_of
from relais.delivery.models import Delivery
from relais.messaging import selectors
from relais.messaging.attachments import KINDS as ATTACH_KINDS
from relais.messaging.models import HistoryEvent, Message

register = template.Library()


@register.filter
def of_name(name: str) -> str:
    """« du Dr Antoine Roche », « de Mme Durand » in French (core.text.french_of); « of … »
    in English."""
    if (get_language() or "fr").startswith("fr"):
        return french_of(name or "")
    return f"of {name}"


@register.filter
def menu_count(value: int) -> str:
    """A left-menu count: « 99+ » once it reaches the cap where counting stops."""
    cap = selectors.MENU_COUNT_CAP
    return f"{cap - 1}+" if value >= cap else str(value)


@register.filter
def files_of(attachments: dict[Any, list[Any]] | None, reply: Any) -> list[Any]:
    """A reply's attachments, from the thread's {reply id: [attachments]}."""
    return (attachments or {}).get(reply.id, [])


@register.filter
def when(value: dt.datetime | None) -> str:
    """HH:MM today, "hier" yesterday, jj/mm/aaaa before."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localdate()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.date() == today - dt.timedelta(days=1):
        return _("hier")
    return local.strftime("%d/%m/%Y")


@register.filter
def datetime_fr(value: dt.datetime | None) -> str:
    """jj/mm/aaaa à HH:MM in Paris time."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return _("%(date)s à %(time)s") % {
        "date": local.strftime("%d/%m/%Y"),
        "time": local.strftime("%H:%M"),
    }


@register.filter
def date_fr(value: dt.date | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


@register.filter
def iso_date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


@register.simple_tag
def message_badges(message: Message) -> list[tuple[str, str]]:
    """(css class, text) pairs: a badge always says what it means in words."""
    badges: list[tuple[str, str]] = []
    if message.status == Message.STATUS_TODO:
        if message.due_date:
            badges.append(("task", _("A faire le %(date)s") % {"date": date_fr(message.due_date)}))
        else:
            badges.append(("task", _("Tâche")))
    elif message.status == Message.STATUS_DONE:
        badges.append(("done", _("Fait")))
    if message.is_urgent:
        badges.append(("urgent", _("Urgent")))
    if message.is_private:
        badges.append(("private", _("Privé")))
    if message.is_vad:
        badges.append(("vad", _("VAD")))
    if message.is_client_remark:
        badges.append(("remark", _("Remarque client")))
    return badges


@register.simple_tag
def thread_rows(threads: list[Message], thread_root: str, show_client: bool = False) -> SafeString:
    """The <li> rows of a thread list (ui/partials/thread_rows.html). Built here rather than in
    the template language: a list shows 50 of them on pages opened all day, and this costs a
    fraction of the template's time for the same HTML. Every value goes through
    html.escape, which is what Django's escape does."""
    unread = '<span class="sr-only">' + esc(_("Non lu :")) + " </span>"
    root = esc(thread_root)
    rows = []
    from relais.escalation.templatetags.escalation_ui import ack_badges_for  # issue 14

    acks = ack_badges_for(threads)
    for m in threads:
        read = getattr(m, "is_read", True)
        replies = (
            ' <span class="replies">('
            + esc(ngettext("%(n)s réponse", "%(n)s réponses", m.reply_count) % {"n": m.reply_count})
            + ")</span>"
            if m.reply_count
            else ""
        )
        badges = "".join(
            f'<span class="badge {esc(cls)}">{esc(text)}</span>'
            for cls, text in [*message_badges(m), *acks.get(m.id, [])]
        )
        if badges:
            badges = '<span class="badges">' + badges + "</span>"
        if show_client:
            who, contact_class = m.client.name, "contact"
        else:
            contact = m.contact
            who = contact.name if contact and contact.name else "—"
            contact_class = "contact" if contact else "contact no-contact"
        at = m.last_activity_at
        rows.append(
            f'<li><a class="thread-row{"" if read else " unread"}" href="{root}{m.id}/">'
            '<span class="dot" aria-hidden="true"></span>'
            f'<span class="subject-line"><span class="subject">{"" if read else unread}'
            f"{esc(m.subject)}{replies}</span>"
            f"{badges}</span>"
            f'<span class="{contact_class}">{esc(who)}</span>'
            f'<span class="who"><span>{esc(m.author.first_name)}</span> · '
            f'<time class="num" datetime="{timezone.localtime(at).isoformat() if at else ""}">'
            f"{esc(when(at))}</time></span></a></li>"
        )
    return SafeString("\n".join(rows))


def esc(value: object) -> str:
    return html.escape(str(value))


_HISTORY_VERBS = {
    HistoryEvent.CREATED: gettext_noop("Message créé par %(who)s"),
    HistoryEvent.READ: gettext_noop("Lu par %(who)s"),
    HistoryEvent.UNREAD: gettext_noop("Marqué non lu par %(who)s"),
    HistoryEvent.REPLIED: gettext_noop("Réponse de %(who)s"),
    HistoryEvent.TASK_TODO: gettext_noop("Passé en tâche à faire par %(who)s"),
    HistoryEvent.TASK_DONE: gettext_noop("Passé à tâche faite par %(who)s"),
    HistoryEvent.TASK_CANCEL: gettext_noop("Tâche annulée par %(who)s"),
    HistoryEvent.COPY_QUEUED: gettext_noop("Copie en attente d'envoi"),
    HistoryEvent.COPY_SENT: gettext_noop("Copie envoyée"),
    HistoryEvent.COPY_DELIVERED: gettext_noop("Copie remise"),
    HistoryEvent.COPY_FAILED: gettext_noop("Échec de la copie"),
    HistoryEvent.COPY_RETRY: gettext_noop("Nouvel essai prévu"),
}


@register.filter
def history_line(event: HistoryEvent, staff: bool = True) -> str:
    """ "Message créé par Léa le 28/11/2026 à 10:42", then the event's detail.

    Client users do not see where copies went (other people's addresses and numbers)."""
    who = event.actor.first_name if event.actor else _("le système")
    verb = _HISTORY_VERBS.get(event.kind)
    text = _(verb) % {"who": who} if verb else event.get_kind_display()
    if event.kind == HistoryEvent.COPY_QUEUED and event.actor:
        text = _("Copie demandée par %(who)s") % {"who": who}
    elif event.kind == HistoryEvent.REPLIED and not event.actor:
        text = _("Réponse reçue")  # by e-mail or SMS, from someone without a login
    line = _("%(text)s le %(when)s") % {"text": text, "when": datetime_fr(event.at)}
    if event.detail and (staff or not event.kind.startswith("copy_")):
        line += f" — {event.detail}"
    return line


@register.filter
def delivery_status(delivery: Delivery) -> str:
    if delivery.status == Delivery.FAILED:
        reason = delivery.last_error or _("raison inconnue")
        return _("Échec : %(reason)s") % {"reason": reason}
    return {
        Delivery.QUEUED: _("En attente"),
        Delivery.SENDING: _("En cours d'envoi"),
        Delivery.SENT: _("Envoyée"),
        Delivery.DELIVERED: _("Remise"),
    }.get(delivery.status, delivery.get_status_display())


_CHANNEL_ICONS = {Delivery.EMAIL: "✉", Delivery.SMS: "📱", Delivery.FAX: "📠"}


@register.filter
def channel_icon(channel: str) -> str:
    return _CHANNEL_ICONS.get(channel, "•")


@register.filter
def attach_label(attach: dict[str, Any] | None) -> str:
    if not attach:
        return ""
    kind = ATTACH_KINDS.get(attach.get("kind", ""), attach.get("kind", ""))
    try:
        start = dt.date.fromisoformat(attach["from"])
        end = dt.date.fromisoformat(attach["to"])
    except (KeyError, TypeError, ValueError):
        return str(kind)
    return _("%(kind)s du %(start)s au %(end)s") % {
        "kind": kind,
        "start": date_fr(start),
        "end": date_fr(end),
    }


@register.filter
def field_errors(errors: dict[str, list[str]] | None, field: str) -> list[str]:
    if not errors:
        return []
    return errors.get(field, [])


@register.filter
def initials(name: str) -> str:
    parts = [p for p in (name or "").split() if p[:1].isalpha()]
    return "".join(p[0].upper() for p in parts[:2]) or "?"


@register.filter
def call_duration(seconds: int | None) -> str:
    """A call's length: « 42 s », « 3 min », « 1 h 05 »."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"
