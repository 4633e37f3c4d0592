"""A permanence's lifetimes and session rules: defaults, minimums, reading and changing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from relais.audit.models import AuditEvent, DataPolicy
from relais.audit.services import audit_record
from relais.core.errors import ValidationFailed
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right
from relais.tenancy.models import User


@dataclass(frozen=True)
class Limit:
    label: str
    default: int
    minimum: int
    maximum: int
    unit: str = "jours"


# Days, except the idle timeout (minutes). The minimums keep what a controller may ask for:
# traces at least 6 months (the CNIL's floor for access logs of health data).
LIMITS: dict[str, Limit] = {
    "messages_days": Limit("Messages (depuis leur dernière activité)", 1095, 30, 7300),
    "outbox_days": Limit("Copies envoyées : textes et PDF de la boîte d'envoi", 90, 7, 3650),
    "calls_days": Limit("Journal des appels", 365, 30, 3650),
    "history_days": Limit("Historique des messages", 1095, 30, 7300),
    "traces_days": Limit("Traces : consultations, connexions, droits", 365, 180, 3650),
    "session_idle_minutes": Limit("Déconnexion après inactivité", 30, 5, 720, "minutes"),
}


def defaults() -> dict[str, Any]:
    values: dict[str, Any] = {name: limit.default for name, limit in LIMITS.items()}
    values["session_idle_minutes"] = int(
        getattr(settings, "RELAIS_SESSION_IDLE_MINUTES", values["session_idle_minutes"])
    )
    values["totp_required"] = False
    return values


def policy_for(permanence_id: Any) -> DataPolicy:
    """The permanence's policy, or an unsaved one holding the defaults."""
    found = DataPolicy.objects.filter(permanence_id=permanence_id).first()
    return found or DataPolicy(permanence_id=permanence_id, **defaults())


def policy_values(policy: DataPolicy) -> dict[str, Any]:
    return {
        **{name: getattr(policy, name) for name in LIMITS},
        "totp_required": policy.totp_required,
    }


def clean_policy(data: dict[str, Any]) -> dict[str, Any]:
    """Whole numbers within each limit; French errors per field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        if name not in data:
            continue
        raw = data[name]
        if isinstance(raw, bool):
            errors[name] = ["Un nombre entier est attendu."]
            continue
        try:
            value = int(str(raw).strip()) if not isinstance(raw, int) else raw
        except ValueError:
            errors[name] = ["Un nombre entier est attendu."]
            continue
        if value < limit.minimum:
            errors[name] = [f"Au moins {limit.minimum} {limit.unit}."]
        elif value > limit.maximum:
            errors[name] = [f"Au plus {limit.maximum} {limit.unit}."]
        else:
            cleaned[name] = value
    if "totp_required" in data:
        raw = data["totp_required"]
        if not isinstance(raw, bool):
            errors["totp_required"] = ["Vrai ou faux attendu."]
        else:
            cleaned["totp_required"] = raw
    if errors:
        raise ValidationFailed("Certaines valeurs sont invalides.", errors)
    return cleaned


def data_policy_update(*, user: User, data: dict[str, Any], ip: str | None = None) -> DataPolicy:
    """A gérant changes the permanence's lifetimes or session rules (traced with the old and
    new values)."""
    require_right(user, perms.DATA_POLICY)
    cleaned = clean_policy(data)
    policy = policy_for(user.permanence_id)
    before = policy_values(policy)
    for name, value in cleaned.items():
        setattr(policy, name, value)
    policy.save()
    after = policy_values(policy)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        audit_record(
            permanence_id=user.permanence_id,
            actor=user,
            kind=AuditEvent.SETTINGS_CHANGED,
            target="permanence:conservation",
            detail={"changed": changed},
            ip=ip,
        )
    return policy
