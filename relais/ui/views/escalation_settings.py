"""« Astreinte et escalade » of a client: which messages ask for « Pris en compte », the
escalation steps, the on-call rota (right MESSAGES / Astreinte). Server-rendered rows: a fixed
number of blank ones to add to, an emptied row is dropped."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id
from relais.core.errors import ValidationFailed
from relais.core.validation import Errors
from relais.escalation import policy
from relais.escalation.selectors import on_call_now
from relais.escalation.services import escalation_settings_set, on_call_set
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right
from relais.ui.decorators import current_user, page

BLANK_STEPS = 2
BLANK_SLOTS = 3
BLANK_EXCEPTIONS = 2


def _who_value(who: Any) -> str:
    return f"{who.get('kind')}:{who.get('id')}" if isinstance(who, dict) and who else ""


def _who_parse(value: str) -> dict[str, str] | str:
    if value in ("same", "on_call"):
        return value
    kind, _sep, pk = (value or "").partition(":")
    return {"kind": kind, "id": pk}


def _local_input(value: str) -> str:
    """An ISO instant as the value of an <input type=datetime-local> (Paris time)."""
    parsed = policy._instant(value)
    return parsed.astimezone(policy.PARIS).strftime("%Y-%m-%dT%H:%M") if parsed else value


def _form_rows(client: Client) -> dict[str, Any]:
    escalation = policy.escalation_of(client)
    rota = policy.rota_of(client)
    steps = [
        {
            "after_minutes": s.get("after_minutes"),
            "to": s["to"] if s.get("to") in ("same", "on_call") else _who_value(s.get("to")),
            "sms": "sms" in (s.get("channels") or []),
            "email": "email" in (s.get("channels") or []),
        }
        for s in escalation["steps"]
    ]
    weekly = [
        {
            "weekday": s.get("weekday"),
            "from": s.get("from"),
            "to": s.get("to"),
            "who": _who_value(s.get("who")),
        }
        for s in rota["weekly"]
    ]
    exceptions = [
        {
            "from": _local_input(e.get("from", "")),
            "to": _local_input(e.get("to", "")),
            "who": _who_value(e.get("who")),
        }
        for e in rota["exceptions"]
    ]
    return {
        "ack_required": escalation["ack_required"],
        "final_alert": escalation["final_alert"],
        "final_after_minutes": escalation["final_after_minutes"],
        "steps": steps,
        "weekly": weekly,
        "exceptions": exceptions,
    }


def _posted(post: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(escalation data, rota data, the form's values to show again)."""
    steps, weekly, exceptions = [], [], []
    values_steps, values_weekly, values_exceptions = [], [], []
    for n in range(policy.MAX_STEPS):
        minutes = post.get(f"step-{n}-after", "").strip()
        to = post.get(f"step-{n}-to", "")
        channels = [c for c in policy.CHANNELS if post.get(f"step-{n}-{c}") == "on"]
        if not minutes and not to:
            continue
        steps.append({"after_minutes": minutes, "to": _who_parse(to), "channels": channels})
        values_steps.append(
            {
                "after_minutes": minutes,
                "to": to,
                "sms": "sms" in channels,
                "email": "email" in channels,
            }
        )
    for n in range(policy.MAX_SLOTS):
        day, start, end = (post.get(f"slot-{n}-{k}", "").strip() for k in ("day", "from", "to"))
        who = post.get(f"slot-{n}-who", "")
        if not (start or end or who):
            continue
        weekly.append({"weekday": day, "from": start, "to": end, "who": _who_parse(who)})
        values_weekly.append(
            {"weekday": int(day) if day.isdigit() else day, "from": start, "to": end, "who": who}
        )
    for n in range(policy.MAX_EXCEPTIONS):
        start, end = (post.get(f"exc-{n}-{k}", "").strip() for k in ("from", "to"))
        who = post.get(f"exc-{n}-who", "")
        if not (start or end or who):
            continue
        exceptions.append({"from": start, "to": end, "who": _who_parse(who)})
        values_exceptions.append({"from": start, "to": end, "who": who})
    escalation = {
        "ack_required": post.get("ack_required", "urgent"),
        "steps": steps,
        "final_alert": post.get("final_alert") == "on",
        "final_after_minutes": post.get("final_after_minutes", "10").strip() or "10",
    }
    values = {
        "ack_required": escalation["ack_required"],
        "final_alert": escalation["final_alert"],
        "final_after_minutes": escalation["final_after_minutes"],
        "steps": values_steps,
        "weekly": values_weekly,
        "exceptions": values_exceptions,
    }
    return escalation, {"weekly": weekly, "exceptions": exceptions}, values


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def client_on_call(request: HttpRequest, client_id: str) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_right(user, perms.MESSAGES_ON_CALL)
    values = _form_rows(client)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        escalation, rota, values = _posted(request.POST)
        found = Errors()  # both checked, every error shown, before either is saved
        for clean, data in ((policy.escalation_clean, escalation), (policy.rota_clean, rota)):
            try:
                clean(client, data)
            except ValidationFailed as exc:
                found.capture(exc)
        try:
            found.raise_if_any()
            escalation_settings_set(user=user, client=client, data=escalation)
            on_call_set(user=user, client=client, data=rota)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, _("Astreinte et escalade enregistrées."))
            return redirect("ui:client_on_call", client.id)
    context = {
        "client": client,
        "values": values,
        "errors": errors,
        "error_list": [e for errs in errors.values() for e in errs],
        "people": policy.person_choices(client),
        "modes": policy.ACK_MODE_LABELS,
        "weekdays": list(enumerate(policy.WEEKDAYS)),
        "blank_steps": range(len(values["steps"]), len(values["steps"]) + BLANK_STEPS),
        "blank_slots": range(len(values["weekly"]), len(values["weekly"]) + BLANK_SLOTS),
        "blank_exceptions": range(
            len(values["exceptions"]), len(values["exceptions"]) + BLANK_EXCEPTIONS
        ),
        "now": on_call_now(client=client),
        "tab": "on_call",
    }
    return render(request, "ui/client_on_call.html", context, status=status)
