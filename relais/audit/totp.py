"""The optional second factor of staff logins: a TOTP code (django-otp's TOTPDevice), enrolled
from « Double authentification » and asked at login (pages) or with the token request (API).
A permanence may require it (DataPolicy.totp_required): its staff must then enrol at their next
login before any other page opens."""

from __future__ import annotations

import io
from base64 import b32encode
from typing import Any
from urllib.parse import quote, urlencode

from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from relais.audit.models import AuditEvent
from relais.audit.policy import policy_for
from relais.audit.services import audit_record
from relais.core.errors import PermissionDenied, RelaisError, ValidationFailed
from relais.tenancy.models import User

ISSUER = "Relais"


class SecondFactorRequired(RelaisError):
    status = 401


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()


def totp_required(user: User) -> bool:
    return user.is_staff_user and policy_for(user.permanence_id).totp_required


def clean_code(code: Any) -> str:
    text = "".join(str(code or "").split())
    return text if text.isdigit() and len(text) in (6, 8) else ""


def device_verify(
    *, user: User, device: TOTPDevice, code: Any, request: HttpRequest | None
) -> bool:
    """True when the code is right (django-otp refuses a code used twice and slows down
    repeated failures); a wrong one is traced."""
    token = clean_code(code)
    allowed, _ = device.verify_is_allowed()
    if token and allowed and device.verify_token(token):
        return True
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.TOTP_FAILED,
        target=f"user:{user.pk}",
        request=request,
    )
    return False


def second_factor_check(*, user: User, code: Any, request: HttpRequest | None) -> None:
    """For the API's token request: an enrolled account must send its current code; an account
    whose permanence requires one and that has none enrols in the pages first."""
    device = confirmed_device(user)
    if device is None:
        if totp_required(user):
            raise PermissionDenied(
                "Votre permanence exige la double authentification : activez-la d'abord "
                "depuis les pages (Double authentification)."
            )
        return
    if not code:
        raise SecondFactorRequired(
            "Code de double authentification requis (champ « otp »).",
            {"otp": ["Ce champ est obligatoire pour ce compte."]},
        )
    if not device_verify(user=user, device=device, code=code, request=request):
        raise SecondFactorRequired(
            "Code de double authentification incorrect.", {"otp": ["Code incorrect."]}
        )


def enrolment_device(user: User) -> TOTPDevice:
    """The user's device being enrolled (unconfirmed), created with a fresh secret if needed."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Application", confirmed=False)
    return device


def otpauth_uri(user: User, device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    label = quote(f"{ISSUER}:{user.email}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": device.digits})
    return f"otpauth://totp/{label}?{query}"


def secret_text(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (segno, pure Python)."""
    # Imported here: segno is only needed on the page that enrols a device.
    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, nl=False
    )
    return out.getvalue().decode()


def totp_enrol_confirm(
    *, user: User, device: TOTPDevice, code: Any, request: HttpRequest | None
) -> None:
    if not device_verify(user=user, device=device, code=code, request=request):
        raise ValidationFailed.on("code", "Code incorrect : saisissez le code affiché maintenant.")
    TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.TOTP_ENABLED,
        target=f"user:{user.pk}",
        request=request,
    )


def totp_disable(*, user: User, request: HttpRequest | None) -> None:
    if totp_required(user):
        raise PermissionDenied("Votre permanence exige la double authentification.")
    deleted, _ = TOTPDevice.objects.filter(user_id=user.pk).delete()
    if deleted:
        audit_record(
            permanence_id=user.permanence_id,
            actor=user,
            kind=AuditEvent.TOTP_DISABLED,
            target=f"user:{user.pk}",
            request=request,
        )
