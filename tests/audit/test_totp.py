"""The optional TOTP second factor for staff (issue 19, point 10)."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from relais.audit.models import AuditEvent, DataPolicy
from relais.audit.policy import defaults
from relais.tenancy.models import User
from tests.api.conftest import call
from tests.conftest import World, login
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at or time.time()
    return f"{totp.token():06d}"


def after_the_throttle() -> time_machine.travel:
    """django-otp slows down a device after a wrong code (1 s, then 2, 4…): come back later."""
    return time_machine.travel(time.time() + 40, tick=True)


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Application", confirmed=True)


def test_staff_enrol_from_the_page_with_secret_uri_and_qr(world: World) -> None:
    http = login(world.operateur_a)
    url = reverse("ui:totp")
    page = http.get(url).content.decode()
    assert "otpauth://totp/Relais%3Aoperateur%40a.test?secret=" in page
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=world.operateur_a, confirmed=False)
    assert http.post(url, {"action": "confirm", "code": "000000"}).status_code == 422
    with after_the_throttle():
        assert http.post(url, {"action": "confirm", "code": code_for(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(kind="totp_enabled", actor=world.operateur_a).exists()


def test_login_asks_the_code_after_the_password(world: World) -> None:
    device = enrolled(world.operateur_a)
    http = HttpClient()
    response = http.post(
        reverse("ui:login"), {"username": world.operateur_a.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("ui:login_code")
    assert http.get(reverse("ui:home")).status_code == 302  # not logged in yet
    wrong = http.post(reverse("ui:login_code"), {"code": "123456"})
    assert wrong.status_code == 400 and "Code incorrect" in wrong.content.decode()
    assert AuditEvent.objects.filter(kind="totp_failed").count() == 1
    with after_the_throttle():
        done = http.post(reverse("ui:login_code"), {"code": code_for(device)})
        assert done.status_code == 302
        assert http.get(reverse("ui:home")).status_code == 200
        # A code is good once.
        again = HttpClient()
        again.post(reverse("ui:login"), {"username": world.operateur_a.email, "password": PASSWORD})
        assert again.post(reverse("ui:login_code"), {"code": code_for(device)}).status_code == 400


def test_the_code_step_expires_and_gives_up_after_five_wrong_codes(world: World) -> None:
    enrolled(world.operateur_a)
    http = HttpClient()
    http.post(reverse("ui:login"), {"username": world.operateur_a.email, "password": PASSWORD})
    for _ in range(4):
        assert http.post(reverse("ui:login_code"), {"code": "111111"}).status_code == 400
    last = http.post(reverse("ui:login_code"), {"code": "111111"})
    assert last.status_code == 302 and last["Location"] == reverse("ui:login")
    assert http.get(reverse("ui:login_code")).status_code == 302


def test_the_api_token_needs_the_code_of_an_enrolled_account(world: World) -> None:
    device = enrolled(world.operateur_a)
    body = {"username": world.operateur_a.email, "password": PASSWORD}
    missing = call(HttpClient(), "POST", "/auth/token", body)
    assert missing.status_code == 401 and "otp" in missing.json()["errors"]
    assert call(HttpClient(), "POST", "/auth/token", {**body, "otp": "000000"}).status_code == 401
    with after_the_throttle():
        ok = call(HttpClient(), "POST", "/auth/token", {**body, "otp": code_for(device)})
    assert ok.status_code == 200 and "token" in ok.json()


def test_a_permanence_that_requires_it_sends_staff_to_enrol_first(world: World) -> None:
    DataPolicy.objects.create(permanence=world.perm_a, **{**defaults(), "totp_required": True})
    http = HttpClient()
    http.post(reverse("ui:login"), {"username": world.operateur_a.email, "password": PASSWORD})
    home = http.get(reverse("ui:home"))
    assert home.status_code == 302 and home["Location"] == reverse("ui:totp")
    page = http.get(reverse("ui:totp")).content.decode()
    assert "Votre permanence exige la double authentification" in page
    device = TOTPDevice.objects.get(user=world.operateur_a)
    http.post(reverse("ui:totp"), {"action": "confirm", "code": code_for(device)})
    assert http.get(reverse("ui:home")).status_code == 200
    # Required: it cannot be removed, and the API refuses a token until it is enrolled.
    http.post(reverse("ui:totp"), {"action": "disable"})
    assert TOTPDevice.objects.filter(user=world.operateur_a, confirmed=True).exists()
    body = {"username": world.superviseur_a.email, "password": PASSWORD}
    assert call(HttpClient(), "POST", "/auth/token", body).status_code == 403
    # Client users are not concerned.
    client = HttpClient()
    client.post(reverse("ui:login"), {"username": world.client_user_a.email, "password": PASSWORD})
    assert client.get(reverse("ui:home")).status_code == 200


def test_staff_may_remove_an_optional_second_factor(world: World) -> None:
    enrolled(world.operateur_a)
    http = login(world.operateur_a)
    assert http.post(reverse("ui:totp"), {"action": "disable"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=world.operateur_a).exists()
    assert AuditEvent.objects.filter(kind="totp_disabled").exists()
    assert login(world.client_user_a).get(reverse("ui:totp")).status_code == 403


def test_a_code_from_another_time_window_is_refused(world: World) -> None:
    device = enrolled(world.operateur_a)
    stale = code_for(device, at=time.time() - 600)
    body = {"username": world.operateur_a.email, "password": PASSWORD, "otp": stale}
    with time_machine.travel(time.time(), tick=True):
        assert call(HttpClient(), "POST", "/auth/token", body).status_code == 401
