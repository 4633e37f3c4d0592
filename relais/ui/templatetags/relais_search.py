"""Search results as thread rows, with the words found highlighted, and the bounded counts.

Message text is never read as HTML: every piece goes through html.escape (relais.core.fts
.highlight) and only the <mark> tags around the words found are ours."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from relais.core.fts import excerpt, highlight
from relais.messaging.models import Message
from relais.ui.templatetags.relais_ui import esc, message_badges, when

register = template.Library()

# French groups thousands with a narrow no-break space: « 1 000 ».
_THIN = "\u202f"


def count_text(count: int, cap: int) -> str:
    """« 1 234 », or « 1 000+ » once counting stopped at the cap."""
    if count > cap:
        return f"{cap:,}".replace(",", _THIN) + "+"
    return f"{count:,}".replace(",", _THIN)


@register.simple_tag
def thread_count(count: int, cap: int, searching: bool) -> str:
    n = count_text(count, cap)
    shown = min(count, cap)
    if searching:
        return ngettext("%(n)s résultat", "%(n)s résultats", shown) % {"n": n}
    return ngettext("%(n)s fil", "%(n)s fils", shown) % {"n": n}


@register.simple_tag
def search_rows(
    threads: list[Message],
    thread_root: str,
    stems: frozenset[str],
    excerpts: dict[Any, str],
    show_client: bool = False,
) -> SafeString:
    """The <li> rows of search results: the thread row (ui/partials/thread_rows.html's) with
    the words found in <mark>, and under it the stretch of the body — or of the reply — that
    holds them. show_client: results of every client, each labelled with its client."""
    unread = '<span class="sr-only">' + esc(_("Non lu :")) + " </span>"
    in_reply = esc(_("Dans une réponse :"))
    root = esc(thread_root)
    rows = []
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
            f'<span class="badge {esc(cls)}">{esc(text)}</span>' for cls, text in message_badges(m)
        )
        if badges:
            badges = '<span class="badges">' + badges + "</span>"
        contact = m.contact
        contact_name = contact.name if contact and contact.name else ""
        who = highlight(contact_name, stems) if contact_name else "—"
        if show_client:
            who = f'<span class="client-name">{esc(m.client.name)}</span>' + (
                f'<span class="contact-name">{who}</span>' if contact_name else ""
            )
        found = excerpt(m.body, stems)
        label = ""
        if found is None and m.id in excerpts:
            found, label = excerpt(excerpts[m.id], stems), f'<span class="in">{in_reply}</span> '
        snippet = f'<span class="excerpt">{label}{highlight(found, stems)}</span>' if found else ""
        at = m.last_activity_at
        rows.append(
            f'<li><a class="thread-row search-row{"" if read else " unread"}" href="{root}{m.id}/">'
            '<span class="dot" aria-hidden="true"></span>'
            f'<span class="subject-line"><span class="subject">{"" if read else unread}'
            f"{highlight(m.subject, stems)}{replies}</span>"
            f"{badges}{snippet}</span>"
            f'<span class="contact{"" if contact_name or show_client else " no-contact"}">'
            f"{who}</span>"
            f'<span class="who"><span>{esc(m.author.first_name)}</span> · '
            f'<time class="num" datetime="{timezone.localtime(at).isoformat() if at else ""}">'
            f"{esc(when(at))}</time></span></a></li>"
        )
    return SafeString("\n".join(rows))
