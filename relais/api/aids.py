"""The gérant's message aids through the API: templates (write side), a client's instructions
and message settings, input-help phrases and banners.

Same rights and services as the pages: templates, phrases and banners need « TEMPLATE /
Messages » to be changed; instructions and message settings « COMPTES / Clients / Paramètres ».
Instructions, phrases and banners are staff only: a client user gets 403, whatever the id.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from relais.api import messages as messages_api
from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES
from relais.api.schemas import (
    ClientDetailOut,
    Flag,
    TemplateOut,
    Text,
    capped,
    client_detail_out,
    local,
    template_out,
)
from relais.clients.models import Instruction
from relais.clients.selectors import access_client_by_id, access_instruction_by_id, instruction_list
from relais.clients.services import (
    client_update_message_settings,
    instruction_create,
    instruction_delete,
    instruction_update,
)
from relais.core.errors import ValidationFailed
from relais.core.inputs import TEMPLATE_CLIENTS_MAX, VISIBILITY_MAX
from relais.messaging.models import Banner, InputPhrase, MessageTemplate
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
    phrase_update,
    require_aids_right,
    template_create,
    template_delete,
    template_update,
)
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right, require_staff

router = Router(tags=["Modèles et aides"])
# GET /templates lives on the messages router; the writes on the same path must join it.
templates_router = messages_api.router

NO_CONTENT = {204: None, **ERROR_RESPONSES}


# --- templates ---------------------------------------------------------------------------------


class TemplateIn(Schema):
    name: Text
    subject: Text = ""
    body: Text = ""
    consigne: Text = ""
    auto_vad: Flag = False
    auto_circle: Flag = False
    clients: Annotated[list[Text], capped(TEMPLATE_CLIENTS_MAX)] | None = Field(
        None,
        max_length=TEMPLATE_CLIENTS_MAX,
        description="Client ids it is limited to; null or absent: every client.",
    )


class TemplateDetailOut(TemplateOut):
    clients: list[str] | None = Field(description="Client ids, or null: every client.")


class TemplateListOut(Schema):
    items: list[TemplateDetailOut]
    next: str | None


def template_detail_out(template: MessageTemplate) -> dict[str, Any]:
    chosen = [str(c.id) for c in template.clients.all()]
    return {**template_out(template), "clients": chosen or None}


def _template_args(payload: TemplateIn) -> dict[str, Any]:
    data = payload.dict()
    chosen = data.pop("clients")
    return {**data, "for_all": chosen is None, "clients": chosen or []}


@templates_router.post(
    "/templates", response={201: TemplateDetailOut, **ERROR_RESPONSES}, tags=["Modèles et aides"]
)
def templates_create(request: HttpRequest, payload: TemplateIn) -> Any:
    """Creates a template. Placeholders {client}, {contact}, {date}, {operateur}; any other
    one is refused (422)."""
    template = template_create(user=current_user(request), **_template_args(payload))
    return Status(201, template_detail_out(template))


@router.get("/templates/all", response={200: TemplateListOut, **ERROR_RESPONSES})
def templates_all(request: HttpRequest) -> Any:
    """Every template of my permanence, with the clients each is limited to (template
    managers only)."""
    rows = template_list(user=current_user(request))
    return {"items": [template_detail_out(t) for t in rows], "next": None}


@router.get("/templates/{template_id}", response={200: TemplateDetailOut, **ERROR_RESPONSES})
def templates_detail(request: HttpRequest, template_id: str) -> Any:
    return template_detail_out(access_template_by_id(current_user(request), template_id))


@router.put("/templates/{template_id}", response={200: TemplateDetailOut, **ERROR_RESPONSES})
def templates_update(request: HttpRequest, template_id: str, payload: TemplateIn) -> Any:
    """Replaces a template. Clients it is no longer available to lose it as their default."""
    user = current_user(request)
    template = access_template_by_id(user, template_id)
    template = template_update(user=user, template=template, **_template_args(payload))
    return template_detail_out(template)


@router.delete("/templates/{template_id}", response=NO_CONTENT)
def templates_delete(request: HttpRequest, template_id: str) -> Any:
    user = current_user(request)
    template_delete(user=user, template=access_template_by_id(user, template_id))
    return Status(204, None)


# --- a client's message settings and instructions ----------------------------------------------


class SettingsIn(Schema):
    default_copy_email: Flag = False
    default_copy_sms: Flag = False
    default_copy_fax: Flag = False
    message_info: Text = ""
    default_template: Text | None = Field(
        None, description="A template id usable for this client, or null for none."
    )


@router.put(
    "/clients/{client_id}/settings",
    response={200: ClientDetailOut, **ERROR_RESPONSES},
    tags=["Clients"],
)
def client_settings_update(request: HttpRequest, client_id: str, payload: SettingsIn) -> Any:
    """« Paramètres du compte / Message »: the copies ticked by default, *Message infos*, the
    default template."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    client = client_update_message_settings(user=user, client=client, **payload.dict())
    return client_detail_out(client)


VISIBILITY = {
    Instruction.MESSAGE: "show_message",
    Instruction.AGENDA: "show_agenda",
    Instruction.SHEET: "show_sheet",
}


class InstructionIn(Schema):
    text: Text
    visibility: Annotated[list[Text], capped(VISIBILITY_MAX)] = Field(
        default_factory=lambda: ["message"],
        max_length=VISIBILITY_MAX,
        description='Where it shows: any of "message", "agenda", "sheet" (Levée de fiche).',
    )


class InstructionOut(Schema):
    id: str
    text: str
    visibility: list[str]


class InstructionPage(Schema):
    items: list[InstructionOut]
    next: str | None


def instruction_out(instruction: Instruction) -> dict[str, Any]:
    return {
        "id": str(instruction.id),
        "text": instruction.text,
        "visibility": [code for code, attr in VISIBILITY.items() if getattr(instruction, attr)],
    }


def _instruction_args(payload: InstructionIn) -> dict[str, Any]:
    unknown = [v for v in payload.visibility if v not in VISIBILITY]
    if unknown:
        raise ValidationFailed.on(
            "visibility", f"Visibilité inconnue : {unknown[0]} (message, agenda ou sheet)."
        )
    return {
        "text": payload.text,
        **{attr: code in payload.visibility for code, attr in VISIBILITY.items()},
    }


VISIBILITY_FILTER = Query(None, description='"message": only those shown in the composer.')


@router.get("/clients/{client_id}/instructions", response={200: InstructionPage, **ERROR_RESPONSES})
def instructions_list(
    request: HttpRequest,
    client_id: str,
    visibility: Text | None = VISIBILITY_FILTER,
) -> Any:
    """The client's standing instructions, oldest first. Staff only: never a client user."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_staff(user)
    if visibility not in (None, "", Instruction.MESSAGE):
        raise ValidationFailed.on("visibility", "Seule la visibilité « message » se filtre.")
    rows = instruction_list(user=user, client=client, message_only=visibility == "message")
    return {"items": [instruction_out(i) for i in rows], "next": None}


@router.post("/clients/{client_id}/instructions", response={201: InstructionOut, **ERROR_RESPONSES})
def instructions_create(request: HttpRequest, client_id: str, payload: InstructionIn) -> Any:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_staff(user)
    require_right(user, perms.CLIENTS_SETTINGS)
    instruction = instruction_create(user=user, client=client, **_instruction_args(payload))
    return Status(201, instruction_out(instruction))


@router.put(
    "/clients/{client_id}/instructions/{instruction_id}",
    response={200: InstructionOut, **ERROR_RESPONSES},
)
def instructions_update(
    request: HttpRequest, client_id: str, instruction_id: str, payload: InstructionIn
) -> Any:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_staff(user)
    instruction = access_instruction_by_id(user, client, instruction_id)
    instruction = instruction_update(
        user=user, instruction=instruction, **_instruction_args(payload)
    )
    return instruction_out(instruction)


@router.delete("/clients/{client_id}/instructions/{instruction_id}", response=NO_CONTENT)
def instructions_delete(request: HttpRequest, client_id: str, instruction_id: str) -> Any:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_staff(user)
    instruction = access_instruction_by_id(user, client, instruction_id)
    instruction_delete(user=user, instruction=instruction)
    return Status(204, None)


# --- input-help phrases ------------------------------------------------------------------------


class PhraseIn(Schema):
    text: Text


class PhraseOut(Schema):
    id: str
    text: str
    position: int


class PhrasePage(Schema):
    items: list[PhraseOut]
    next: str | None


def phrase_out(phrase: InputPhrase) -> dict[str, Any]:
    return {"id": str(phrase.id), "text": phrase.text, "position": phrase.position}


@router.get("/phrases", response={200: PhrasePage, **ERROR_RESPONSES})
def phrases_list(request: HttpRequest) -> Any:
    """« Aide à la saisie »: the permanence's phrases in their order (staff only)."""
    user = current_user(request)
    require_staff(user)
    return {"items": [phrase_out(p) for p in phrase_list(user=user)], "next": None}


@router.post("/phrases", response={201: PhraseOut, **ERROR_RESPONSES})
def phrases_create(request: HttpRequest, payload: PhraseIn) -> Any:
    phrase = phrase_create(user=current_user(request), text=payload.text)
    return Status(201, phrase_out(phrase))


@router.put("/phrases/{phrase_id}", response={200: PhraseOut, **ERROR_RESPONSES})
def phrases_update(request: HttpRequest, phrase_id: str, payload: PhraseIn) -> Any:
    user = current_user(request)
    phrase = phrase_update(
        user=user, phrase=access_phrase_by_id(user, phrase_id), text=payload.text
    )
    return phrase_out(phrase)


@router.delete("/phrases/{phrase_id}", response=NO_CONTENT)
def phrases_delete(request: HttpRequest, phrase_id: str) -> Any:
    user = current_user(request)
    phrase_delete(user=user, phrase=access_phrase_by_id(user, phrase_id))
    return Status(204, None)


# --- banners -----------------------------------------------------------------------------------


class BannerIn(Schema):
    text: Text = Field(description=f"One line, at most {Banner.TEXT_MAX} characters.")
    place: Text = Field(Banner.HOME, description='"home" or "supervision".')


class BannerOut(Schema):
    id: str
    text: str
    place: str
    created_by: str | None
    created_at: Any


class BannerPage(Schema):
    items: list[BannerOut]
    next: str | None


def banner_out(banner: Banner) -> dict[str, Any]:
    return {
        "id": str(banner.id),
        "text": banner.text,
        "place": banner.place,
        "created_by": banner.created_by.first_name if banner.created_by else None,
        "created_at": local(banner.created_at),
    }


@router.get("/banners", response={200: BannerPage, **ERROR_RESPONSES})
def banners_list(request: HttpRequest) -> Any:
    """« Bandeau message »: the banners shown to the permanence's staff, newest first (staff
    only: never a client user)."""
    user = current_user(request)
    require_staff(user)
    return {"items": [banner_out(b) for b in banner_list(user=user)], "next": None}


@router.post("/banners", response={201: BannerOut, **ERROR_RESPONSES})
def banners_create(request: HttpRequest, payload: BannerIn) -> Any:
    user = current_user(request)
    require_aids_right(user)
    banner = banner_create(user=user, text=payload.text, place=payload.place)
    return Status(201, banner_out(banner))


@router.delete("/banners/{banner_id}", response=NO_CONTENT)
def banners_delete(request: HttpRequest, banner_id: str) -> Any:
    user = current_user(request)
    banner_delete(user=user, banner=access_banner_by_id(user, banner_id))
    return Status(204, None)
