"""The contacts of a client file: search (panel and composer picker) and inline creation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from relais.clients.selectors import access_client_by_id, contact_list
from relais.clients.services import contact_create
from relais.core.errors import ValidationFailed
from relais.ui.decorators import current_user, is_htmx, page

CONTACT_FIELDS = ("name", "phone", "phone2", "email", "note")
PANEL_LIMIT = 30
PICK_LIMIT = 8


@page()
@require_GET
def contact_search(request: HttpRequest, client_id: str) -> HttpResponse:
    """?q= over name, e-mail and phones, accent- and case-insensitive.
    mode=pick answers the composer's picker; otherwise the file's contacts panel."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    q = request.GET.get("q", "")[:100]
    if request.GET.get("mode") == "pick":
        contacts = contact_list(client=client, search=q, limit=PICK_LIMIT)
        return render(
            request,
            "ui/partials/pickers.html#contact-rows",
            {"client": client, "contacts": contacts, "q": q},
        )
    contacts = contact_list(client=client, search=q, limit=PANEL_LIMIT + 1)
    return render(
        request,
        "ui/partials/contacts.html#contact-rows",
        {"client": client, "contacts": contacts, "contacts_limit": PANEL_LIMIT, "q": q},
    )


@page()
@require_POST
def contact_new(request: HttpRequest, client_id: str) -> HttpResponse:
    """Inline creation. Fields may carry a prefix (the composer nests them in its own form)."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    mode = request.POST.get("mode", "panel")
    prefix = "contact_new-" if mode == "pick" else ""
    values = {name: request.POST.get(prefix + name, "")[:3000] for name in CONTACT_FIELDS}
    try:
        contact = contact_create(user=user, client=client, **values)
    except ValidationFailed as exc:
        pick = mode == "pick"
        template = (
            "ui/partials/pickers.html#contact-new" if pick else "ui/partials/contact_form.html"
        )
        response = render(
            request,
            template,
            {"client": client, "values": values, "errors": exc.errors, "open": True},
            status=422,
        )
        # Errors replace only the little form, with the typed values kept.
        return retarget(
            reswap(response, "outerHTML"), "#contact-new" if pick else "#contact-new-panel"
        )
    if mode == "pick":
        return render(
            request, "ui/partials/pickers.html#contact-new", {"client": client, "chosen": contact}
        )
    if not is_htmx(request):
        return redirect("ui:client", client.id)
    contacts = contact_list(client=client, limit=PANEL_LIMIT + 1)
    return render(
        request,
        "ui/partials/contacts.html",
        {
            "client": client,
            "contacts": contacts,
            "contacts_limit": PANEL_LIMIT,
            "created": contact,
            "can_add_contact": True,
        },
    )
