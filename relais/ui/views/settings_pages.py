"""The gérant's message aids: « Modèles de messages », « Aide à la saisie », « Bandeau message »,
and a client's « Instructions ».

Templates, phrases and banners need « TEMPLATE / Messages »; instructions need « COMPTES /
Clients / Paramètres » (they sit next to the client's message settings). Staff only: a client
user gets 403 on every one of these pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relais.clients.models import Client, Instruction
from relais.clients.selectors import (
    access_client_by_id,
    access_instruction_by_id,
    client_queryset_for_user,
    instruction_list,
)
from relais.clients.services import instruction_create, instruction_delete, instruction_update
from relais.core.errors import ValidationFailed
from relais.messaging.models import Banner, MessageTemplate
from relais.messaging.placeholders import PLACEHOLDERS
from relais.messaging.selectors import (
    access_banner_by_id,
    access_phrase_by_id,
    access_template_by_id,
    banner_list,
    phrase_list,
    template_list,
)
from relais.messaging.templates_service import (
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
)
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right
from relais.ui.decorators import current_user, page

# --- Modèles de messages -----------------------------------------------------------------------


@page(staff_only=True)
def template_list_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    templates = template_list(user=user)
    return render(
        request, "ui/settings/templates.html", {"nav": "templates", "templates": templates}
    )


TEMPLATE_TEXTS = ("name", "subject", "body", "consigne")


def _template_posted(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    values: dict[str, Any] = {name: post.get(name, "")[:25000] for name in TEMPLATE_TEXTS}
    values["auto_vad"] = post.get("auto_vad") == "on"
    values["auto_circle"] = post.get("auto_circle") == "on"
    values["for_all"] = post.get("for_all", "all") != "some"
    values["clients"] = post.getlist("clients")[:5000]
    return values


def _template_initial(template: MessageTemplate | None) -> dict[str, Any]:
    if template is None:
        return {"for_all": True, "clients": []}
    chosen = [str(c.id) for c in template.clients.all()]
    return {
        "name": template.name,
        "subject": template.subject,
        "body": template.body,
        "consigne": template.consigne,
        "auto_vad": template.auto_vad,
        "auto_circle": template.auto_circle,
        "for_all": not chosen,
        "clients": chosen,
    }


def _template_form(
    request: HttpRequest,
    template: MessageTemplate | None,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    clients = list(client_queryset_for_user(user).only("id", "name", "trade").order_by("name"))
    context = {
        "nav": "templates",
        "template": template,
        "v": values,
        "chosen": set(values.get("clients", [])),
        "errors": errors,
        "clients": clients,
        "placeholders": [("{" + name + "}", label) for name, label in PLACEHOLDERS.items()],
    }
    return render(request, "ui/settings/template_form.html", context, status=status)


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_aids_right(user)
    if request.method == "POST":
        values = _template_posted(request)
        try:
            template = template_create(user=user, **values)
        except ValidationFailed as exc:
            return _template_form(request, None, values, exc.errors, status=422)
        messages.success(request, _("Modèle « %(name)s » créé.") % {"name": template.name})
        return redirect("ui:templates")
    return _template_form(request, None, _template_initial(None), {})


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id: str) -> HttpResponse:
    user = current_user(request)
    template = access_template_by_id(user, template_id)
    if request.method == "POST":
        values = _template_posted(request)
        try:
            template_update(user=user, template=template, **values)
        except ValidationFailed as exc:
            return _template_form(request, template, values, exc.errors, status=422)
        messages.success(request, _("Modèle « %(name)s » enregistré.") % {"name": template.name})
        return redirect("ui:templates")
    return _template_form(request, template, _template_initial(template), {})


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def template_delete_view(request: HttpRequest, template_id: str) -> HttpResponse:
    """GET asks to confirm (works without script); POST deletes."""
    user = current_user(request)
    template = access_template_by_id(user, template_id)
    if request.method == "POST":
        name = template.name
        template_delete(user=user, template=template)
        messages.success(request, _("Modèle « %(name)s » supprimé.") % {"name": name})
        return redirect("ui:templates")
    defaults = list(Client.objects.filter(default_template=template).order_by("name")[:20])
    return render(
        request,
        "ui/settings/template_delete.html",
        {"nav": "templates", "template": template, "defaults": defaults},
    )


# --- Aide à la saisie --------------------------------------------------------------------------


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def phrases_view(request: HttpRequest) -> HttpResponse:
    """The list of phrases; POST adds one at the end."""
    user = current_user(request)
    require_aids_right(user)
    errors: dict[str, list[str]] = {}
    text = ""
    status = 200
    if request.method == "POST":
        text = request.POST.get("text", "")[:1000]
        try:
            phrase_create(user=user, text=text)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, _("Phrase ajoutée."))
            return redirect("ui:phrases")
    context = {
        "nav": "phrases",
        "phrases": phrase_list(user=user),
        "text": text,
        "errors": errors,
        "edit_errors": {},
    }
    return render(request, "ui/settings/phrases.html", context, status=status)


@page(staff_only=True)
@require_POST
def phrase_edit(request: HttpRequest, phrase_id: str) -> HttpResponse:
    user = current_user(request)
    phrase = access_phrase_by_id(user, phrase_id)
    text = request.POST.get("text", "")[:1000]
    try:
        phrase_update(user=user, phrase=phrase, text=text)
    except ValidationFailed as exc:
        context = {
            "nav": "phrases",
            "phrases": phrase_list(user=user),
            "text": "",
            "errors": {},
            "editing": str(phrase.id),
            "edit_text": text,
            "edit_errors": exc.errors,
        }
        return render(request, "ui/settings/phrases.html", context, status=422)
    messages.success(request, _("Phrase enregistrée."))
    return redirect("ui:phrases")


@page(staff_only=True)
@require_POST
def phrase_move_view(request: HttpRequest, phrase_id: str) -> HttpResponse:
    user = current_user(request)
    phrase = access_phrase_by_id(user, phrase_id)
    try:
        phrase_move(user=user, phrase=phrase, direction=request.POST.get("direction", "")[:10])
    except ValidationFailed as exc:
        messages.error(request, exc.detail)
    return redirect(f"{reverse('ui:phrases')}#phrase-{phrase.id}")


@page(staff_only=True)
@require_POST
def phrase_delete_view(request: HttpRequest, phrase_id: str) -> HttpResponse:
    user = current_user(request)
    phrase = access_phrase_by_id(user, phrase_id)
    phrase_delete(user=user, phrase=phrase)
    messages.success(request, _("Phrase supprimée."))
    return redirect("ui:phrases")


# --- Bandeau message ---------------------------------------------------------------------------


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def banners_view(request: HttpRequest) -> HttpResponse:
    """The permanence's banners; POST adds one."""
    user = current_user(request)
    require_aids_right(user)
    values = {"text": "", "place": Banner.HOME}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {
            "text": request.POST.get("text", "")[:2000],
            "place": request.POST.get("place", Banner.HOME)[:20],
        }
        try:
            banner_create(user=user, **values)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, _("Bandeau ajouté."))
            return redirect("ui:banners")
    context = {
        "nav": "banners",
        "banners": banner_list(user=user, place=None),
        "v": values,
        "errors": errors,
        "places": Banner.PLACES,
        "text_max": Banner.TEXT_MAX,
    }
    return render(request, "ui/settings/banners.html", context, status=status)


@page(staff_only=True)
@require_POST
def banner_delete_view(request: HttpRequest, banner_id: str) -> HttpResponse:
    """Removes a banner; from the home page's ⓧ, back to where it was."""
    user = current_user(request)
    banner = access_banner_by_id(user, banner_id)
    banner_delete(user=user, banner=banner)
    messages.success(request, _("Bandeau retiré."))
    if request.POST.get("next") == "home":
        return redirect("ui:home")
    return redirect("ui:banners")


# --- Instructions of a client ------------------------------------------------------------------


def _instruction_posted(request: HttpRequest) -> dict[str, Any]:
    visibility = set(request.POST.getlist("visibility"))
    return {
        "text": request.POST.get("text", "")[:5000],
        "show_message": Instruction.MESSAGE in visibility,
        "show_agenda": Instruction.AGENDA in visibility,
        "show_sheet": Instruction.SHEET in visibility,
    }


def _instructions_page(
    request: HttpRequest,
    client: Client,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    editing: Instruction | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    context = {
        "nav": "clients",
        "client": client,
        "instructions": instruction_list(user=user, client=client),
        "v": values or {"text": "", "show_message": True},
        "errors": errors or {},
        "editing": editing,
        "visibilities": Instruction.VISIBILITIES,
        "tab": "instructions",
    }
    return render(request, "ui/settings/instructions.html", context, status=status)


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def instructions_view(request: HttpRequest, client_id: str) -> HttpResponse:
    """A client's instructions; POST adds one."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_right(user, perms.CLIENTS_SETTINGS)
    if request.method == "POST":
        values = _instruction_posted(request)
        try:
            instruction_create(user=user, client=client, **values)
        except ValidationFailed as exc:
            return _instructions_page(request, client, values=values, errors=exc.errors, status=422)
        messages.success(request, _("Instruction ajoutée."))
        return redirect("ui:instructions", client.id)
    return _instructions_page(request, client)


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def instruction_edit(request: HttpRequest, client_id: str, instruction_id: str) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    instruction = access_instruction_by_id(user, client, instruction_id)
    require_right(user, perms.CLIENTS_SETTINGS)
    values: dict[str, Any] = {
        "text": instruction.text,
        "show_message": instruction.show_message,
        "show_agenda": instruction.show_agenda,
        "show_sheet": instruction.show_sheet,
    }
    if request.method == "POST":
        values = _instruction_posted(request)
        try:
            instruction_update(user=user, instruction=instruction, **values)
        except ValidationFailed as exc:
            return _instructions_page(
                request, client, values=values, errors=exc.errors, editing=instruction, status=422
            )
        messages.success(request, _("Instruction enregistrée."))
        return redirect("ui:instructions", client.id)
    return _instructions_page(request, client, values=values, editing=instruction)


@page(staff_only=True)
@require_POST
def instruction_delete_view(
    request: HttpRequest, client_id: str, instruction_id: str
) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    instruction = access_instruction_by_id(user, client, instruction_id)
    require_right(user, perms.CLIENTS_SETTINGS)
    instruction_delete(user=user, instruction=instruction)
    messages.success(request, _("Instruction supprimée."))
    return redirect("ui:instructions", client.id)
