"""The composer popup (seed C1): open it, search copy recipients, send."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from relais.calls.selectors import access_call_by_id, call_for_send
from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id, access_contact_by_id, instruction_list
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.inputs import CC_MAX
from relais.messaging import rules
from relais.messaging.attachments import KINDS as ATTACH_KINDS
from relais.messaging.placeholders import SLOT, placeholder_values, placeholders_fill
from relais.messaging.selectors import phrase_list, recipient_candidates, template_list_for_client
from relais.messaging.services import SendInput, client_for_send, message_send
from relais.tenancy.models import User
from relais.ui.decorators import current_user, is_htmx, page

FLAGS = (
    "is_task",
    "is_urgent",
    "is_private",
    "is_vad",
    "is_client_remark",
    "copy_circle",
    "copy_email",
    "copy_sms",
    "copy_fax",
)


def _require_can_write(user: User) -> None:
    if not rules.may_write_messages(user):
        raise PermissionDenied()


def _fill_values(client: Client, user: User, contact_name: str | None) -> dict[str, str]:
    return placeholder_values(
        client_name=client.name, operator_first_name=user.first_name, contact_name=contact_name
    )


def composer_context(
    request: HttpRequest,
    client: Client,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    templates: list[Any] | None = None,
) -> dict[str, Any]:
    user = current_user(request)
    # Templates (and their consignes), instructions and phrases are staff aids: a client
    # user's composer has none of them.
    staff = rules.sees_staff_aids(user)
    if templates is None:
        templates = template_list_for_client(client=client) if staff else []
    consigne = ""
    if staff and values.get("template"):
        chosen = next((t for t in templates if str(t.id) == values["template"]), None)
        consigne = chosen.consigne if chosen else ""
    instructions = instruction_list(user=user, client=client, message_only=True) if staff else []
    cc = list(zip(values.get("cc", []), values.get("cc_name", []), strict=False))
    return {
        "client": client,
        "v": values,
        "cc_chosen": cc,
        "errors": errors or {},
        "templates": templates,
        "consigne": consigne,
        "instructions": instructions,
        "phrases": phrase_list(user=user) if staff else [],
        "slot": SLOT,
        "attach_kinds": ATTACH_KINDS,
        "is_client": user.is_client_user,
        "has_company": bool(client.company_id),
        "new_contact": values.get("new_contact"),
    }


def _initial_values(client: Client, templates: list[Any], user: User) -> dict[str, Any]:
    values: dict[str, Any] = {
        "idempotency_key": uuid.uuid4().hex,
        "copy_email": client.default_copy_email and bool(client.email),
        "copy_sms": client.default_copy_sms and bool(client.mobile),
        "copy_fax": client.default_copy_fax and bool(client.fax),
        "cc": [],
        "cc_name": [],
        # « Joindre »: today by default (the dates show once a kind is chosen).
        "attach_from": timezone.localdate().isoformat(),
        "attach_to": timezone.localdate().isoformat(),
    }
    default = client.default_template
    if default is not None and any(t.id == default.id for t in templates):
        # {contact} is an empty slot until a contact is chosen (composer_text fills it then).
        fill = _fill_values(client, user, None)
        values.update(
            template=str(default.id),
            template_fresh=True,
            subject=placeholders_fill(default.subject, fill, slots=True),
            body=placeholders_fill(default.body, fill, slots=True),
            is_vad=default.auto_vad,
            copy_circle=default.auto_circle and bool(client.company_id),
        )
    return values


def call_values(user: User, client: Client, call_id: str) -> dict[str, Any]:
    """The composer of a screen pop: the call it is written during, its caller as contact, or
    « Nouveau contact » opened with the caller's number when the caller is unknown."""

    try:
        call = access_call_by_id(user, call_id)
    except NotFound:
        return {}
    if call.client_id != client.id:
        return {}
    at = timezone.localtime(call.started_at)
    values: dict[str, Any] = {
        "call": str(call.id),
        "call_label": _("Appel de %(time)s — %(caller)s")
        % {"time": at.strftime("%H:%M"), "caller": call.caller_display},
    }
    if call.contact is not None:
        values.update(contact=str(call.contact.id), contact_name=call.contact.name)
    elif call.from_number:
        values["new_contact"] = {"phone": call.number_display}
    return values


@page()
@require_GET
def composer_open(request: HttpRequest, client_id: str) -> HttpResponse:
    """The composer form with a fresh idempotency key: a fragment for the popup, or a page."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    _require_can_write(user)
    templates = template_list_for_client(client=client) if rules.sees_staff_aids(user) else []
    values = _initial_values(client, templates, user)
    if request.GET.get("appel") and user.is_staff_user:
        values.update(call_values(user, client, request.GET["appel"]))
    context = composer_context(request, client, values, templates=templates)
    if is_htmx(request):
        return render(request, "ui/partials/composer.html", context)
    return render(request, "ui/composer_page.html", context)


def _posted_values(request: HttpRequest) -> dict[str, Any]:
    """Everything posted goes to message_send, which decides what this author may do."""
    post = request.POST
    values: dict[str, Any] = {name: post.get(name) == "on" for name in FLAGS}
    values.update(
        {
            "idempotency_key": post.get("idempotency_key", "")[:120],
            "subject": post.get("subject", ""),
            "body": post.get("body", ""),
            "due_date": post.get("due_date", "")[:30],
            "contact": post.get("contact", "")[:64],
            "contact_name": post.get("contact_name", "")[:200],
            "template": post.get("template", "")[:64],
            "attach_kind": post.get("attach_kind", "")[:40],
            "attach_from": post.get("attach_from", "")[:30],
            "attach_to": post.get("attach_to", "")[:30],
            # One over the cap: message_send refuses the list rather than cut it silently.
            "cc": post.getlist("cc")[: CC_MAX + 1],
            "cc_name": [n[:200] for n in post.getlist("cc_name")[: CC_MAX + 1]],
            "call": post.get("call", "")[:64],
            "call_label": post.get("call_label", "")[:200],
        }
    )
    return values


def _send_input(values: dict[str, Any]) -> SendInput:
    attach = None
    if values["attach_kind"]:
        attach = {
            "kind": values["attach_kind"],
            "from": values["attach_from"],
            "to": values["attach_to"],
        }
    return SendInput(
        subject=values["subject"],
        body=values["body"],
        cc=values["cc"],
        is_task=values.get("is_task", False),
        due_date=values["due_date"] if values.get("is_task") else None,
        is_urgent=values.get("is_urgent", False),
        is_private=values.get("is_private", False),
        is_vad=values.get("is_vad", False),
        is_client_remark=values.get("is_client_remark", False),
        contact=values["contact"] or None,
        template=values["template"] or None,
        copy_circle=values.get("copy_circle", False),
        copy_email=values.get("copy_email", False),
        copy_sms=values.get("copy_sms", False),
        copy_fax=values.get("copy_fax", False),
        attach=attach,
    )


def _send_refused(
    request: HttpRequest, client: Client, values: dict[str, Any], exc: ValidationFailed
) -> HttpResponse:
    context = composer_context(request, client, values, exc.errors)
    context["error_summary"] = _("Le message n'est pas parti : corrigez les champs signalés.")
    template = "ui/partials/composer.html" if is_htmx(request) else "ui/composer_page.html"
    return render(request, template, context, status=422)


@page()
@require_POST
def message_send_view(request: HttpRequest, client_id: str) -> HttpResponse:
    user = current_user(request)
    values = _posted_values(request)
    data = _send_input(values)
    try:
        target = client_for_send(user, client_id, data)
    except ValidationFailed as exc:
        # Refused before any lookup (too many copy recipients): shown on the composer.
        return _send_refused(request, access_client_by_id(user, client_id), values, exc)
    try:
        if values["call"]:
            # The call it is written during (a screen pop): the author's permanence, this client.
            data.call = call_for_send(user, values["call"], target.client)
        message = message_send(
            author=user, client=target, data=data, idempotency_key=values["idempotency_key"]
        ).message
    except ValidationFailed as exc:
        return _send_refused(request, target.client, values, exc)
    thread_url = reverse("ui:thread", args=[message.id])
    if not is_htmx(request):
        return redirect(thread_url)
    response = render(request, "ui/partials/composer_sent.html", {"message": message})
    return trigger_client_event(
        response, "relais:sent", {"url": thread_url, "subject": message.subject}
    )


@page()
@require_GET
def recipient_search(request: HttpRequest, client_id: str) -> HttpResponse:
    """Who can be added in copy (staff only: a client user sends no copies)."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    if not rules.may_pick_copies(user):
        raise PermissionDenied()
    q = request.GET.get("q", "")[:100]
    exclude = set(request.GET.getlist("cc"))
    users = [
        u
        for u in recipient_candidates(user=user, client=client, search=q, limit=12)
        if str(u.id) not in exclude
    ]
    return render(request, "ui/partials/pickers.html#recipient-rows", {"users": users, "q": q})


TEXT_MAX = 20000


@page(staff_only=True)
@require_POST
def composer_text(request: HttpRequest, client_id: str) -> HttpResponse:
    """The composer's subject and body as they will be sent, filled by the server.

    mode=template: the chosen template's text (and its consigne, VAD and circle flags);
    otherwise the posted subject and body, whose empty slots take the chosen contact's name.
    Without a contact, {contact} is an empty slot (placeholders.SLOT), except with mode=plain
    (the template was dropped: nothing fills the slots at sending any more, so they go)."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    _require_can_write(user)
    post = request.POST
    contact_id = post.get("contact", "")[:64]
    contact_name = access_contact_by_id(client, contact_id).name if contact_id else None
    mode = post.get("mode", "")
    values = _fill_values(
        client, user, "" if contact_name is None and mode == "plain" else contact_name
    )
    if mode == "template":
        template_id = post.get("template", "")[:64]
        templates = template_list_for_client(client=client)
        template = next((t for t in templates if str(t.id) == template_id), None)
        if template is None:
            return JsonResponse({"detail": _("Modèle de message introuvable.")}, status=404)
        return JsonResponse(
            {
                "subject": placeholders_fill(template.subject, values, slots=True),
                "body": placeholders_fill(template.body, values, slots=True),
                "consigne": template.consigne,
                "vad": template.auto_vad,
                "circle": template.auto_circle and bool(client.company_id),
            }
        )
    return JsonResponse(
        {
            "subject": placeholders_fill(post.get("subject", "")[:TEXT_MAX], values, slots=True),
            "body": placeholders_fill(post.get("body", "")[:TEXT_MAX], values, slots=True),
        }
    )
