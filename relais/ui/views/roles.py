"""Roles page (gérant): the catalogue of rights × the three roles, as a matrix of checkboxes."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relais.core.errors import ValidationFailed
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right
from relais.tenancy.models import Role
from relais.tenancy.services import role_set_permissions
from relais.ui.decorators import current_user, page

ROLE_ORDER = [perms.OPERATEUR, perms.SUPERVISEUR, perms.GERANT]


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def roles_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_right(user, perms.ROLES_EDIT)
    # Scoped to the gérant's own permanence: no role of another permanence is ever touched.
    roles = sorted(
        Role.objects.filter(permanence_id=user.permanence_id),
        key=lambda r: ROLE_ORDER.index(r.kind) if r.kind in ROLE_ORDER else 99,
    )
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        wanted = {role.kind: request.POST.getlist(f"role-{role.kind}")[:100] for role in roles}
        try:
            with transaction.atomic():
                for role in roles:
                    role_set_permissions(user=user, role=role, permissions=wanted[role.kind])
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
            for role in roles:
                role.refresh_from_db()
        else:
            messages.success(request, _("Droits des rôles enregistrés."))
            return redirect("ui:roles")
    rows = [
        {
            "code": code,
            "label": label,
            "cells": [
                {
                    "role": role,
                    "checked": code in role.permissions,
                    "locked": code in perms.LOCKED.get(role.kind, set()),
                }
                for role in roles
            ],
        }
        for code, label in perms.CATALOGUE.items()
    ]
    return render(
        request,
        "ui/roles.html",
        {"nav": "roles", "roles": roles, "rows": rows, "errors": errors},
        status=status,
    )
