"""Who may open what: the planning pages, the PDFs and the planning API, for the three-user world
(gérant of A, opérateur of A, gérant of B), the client user of A, and anonymous callers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from relais.planning.models import Appointment, AppointmentType
from relais.planning.services import appointment_create, appointment_type_create
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World, api_client, login

pytestmark = pytest.mark.django_db

ATTACH = {"kind": "planning", "from": "2026-11-30", "to": "2026-12-06"}


def without(user: User, right: str) -> User:
    role = user.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != right]
    role.save()
    return User.objects.get(pk=user.pk)


@pytest.fixture
def things(world: World) -> dict[str, Any]:
    kind = appointment_type_create(user=world.gerant_a, name="Consultation", colour="#1d4ed8")
    appointment = appointment_create(
        user=world.operateur_a,
        client=world.client_a,
        data={"date": "2026-11-30", "start": "10:00", "type": kind.id},
    )
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=SendInput(subject="Planning", body="Ci-joint.", attach=ATTACH),
    )
    other_client = f.ClientFactory.create(permanence=world.perm_a, name="Autre client")
    elsewhere, _ = message_send(
        author=world.operateur_a,
        client=other_client,
        data=SendInput(subject="Ailleurs", body="Ci-joint.", attach=ATTACH),
    )
    return {
        "type": kind,
        "appointment": appointment,
        "message": message,
        "elsewhere": elsewhere,
    }


def page_urls(world: World, t: dict[str, Any]) -> dict[str, str]:
    c = world.client_a.id
    a: Appointment = t["appointment"]
    return {
        "week": reverse("ui:planning:week", args=[c]),
        "new": reverse("ui:planning:appointment_new", args=[c]),
        "edit": reverse("ui:planning:appointment", args=[c, a.id]),
        "journal": reverse("ui:planning:journal", args=[c]),
        "activity": reverse("ui:planning:activity", args=[c]),
        "activity_pdf": reverse("ui:planning:activity_pdf", args=[c])
        + "?quoi=planning&du=2026-11-30&au=2026-11-30",
    }


class TestPages:
    def test_staff_of_the_permanence_open_every_planning_page(
        self, world: World, things: dict[str, Any]
    ) -> None:
        for user in (world.gerant_a, world.superviseur_a, world.operateur_a):
            http = login(user)
            for name, url in page_urls(world, things).items():
                assert http.get(url).status_code == 200, (user, name)

    def test_another_permanence_gets_404_everywhere(
        self, world: World, things: dict[str, Any]
    ) -> None:
        http = login(world.gerant_b)
        for name, url in page_urls(world, things).items():
            assert http.get(url).status_code == 404, name
        # B's own client with A's appointment id is still unknown.
        mine = reverse(
            "ui:planning:appointment", args=[world.client_b.id, things["appointment"].id]
        )
        assert http.get(mine).status_code == 404
        assert (
            http.get(reverse("ui:planning:type_edit", args=[things["type"].id])).status_code == 404
        )

    def test_a_client_user_has_no_planning_pages(
        self, world: World, things: dict[str, Any]
    ) -> None:
        http = login(world.client_user_a)
        for name, url in page_urls(world, things).items():
            assert http.get(url).status_code == 403, name

    def test_anonymous_callers_are_sent_to_the_login_page(
        self, world: World, things: dict[str, Any]
    ) -> None:
        for name, url in page_urls(world, things).items():
            response = HttpClient().get(url)
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("ui:login"))

    def test_without_the_planning_right_the_pages_are_forbidden(
        self, world: World, things: dict[str, Any]
    ) -> None:
        http = login(without(world.operateur_a, perms.PLANNING_VIEW))
        for name, url in page_urls(world, things).items():
            assert http.get(url).status_code == 403, name
        assert (
            ">Planning</a>"
            not in http.get(reverse("ui:client", args=[world.client_a.id])).content.decode()
        )

    def test_without_the_booking_right_nothing_is_written(
        self, world: World, things: dict[str, Any]
    ) -> None:
        operateur = without(world.operateur_a, perms.PLANNING_ADD)
        http = login(operateur)
        urls = page_urls(world, things)
        a: Appointment = things["appointment"]
        week = http.get(urls["week"]).content.decode()
        assert "data-new-url" not in week and "+ Rendez-vous" not in week
        assert http.post(urls["new"], {"date": "2026-12-01", "start": "9:00"}).status_code == 403
        assert http.post(urls["edit"], {"date": "2026-12-01", "start": "9:00"}).status_code == 403
        cancel = reverse("ui:planning:appointment_cancel", args=[world.client_a.id, a.id])
        assert http.post(cancel).status_code == 403
        assert Appointment.objects.count() == 1
        a.refresh_from_db()
        assert not a.is_cancelled
        for user in (world.gerant_b,):
            assert login(user).post(cancel).status_code == 404
        assert login(world.client_user_a).post(cancel).status_code == 403
        assert HttpClient().post(cancel).status_code == 302

    def test_motifs_are_for_those_with_the_motifs_right(
        self, world: World, things: dict[str, Any]
    ) -> None:
        kind: AppointmentType = things["type"]
        types, edit = reverse("ui:planning:types"), reverse("ui:planning:type_edit", args=[kind.id])
        assert login(world.gerant_a).get(types).status_code == 200
        assert login(world.gerant_a).get(edit).status_code == 200
        assert login(world.operateur_a).get(types).status_code == 403
        assert login(world.operateur_a).get(edit).status_code == 403
        assert login(world.operateur_a).post(types, {"name": "X"}).status_code == 403
        assert login(world.client_user_a).get(types).status_code == 403
        assert HttpClient().get(types).status_code == 302
        # The gérant of B manages B's motifs only: A's are unknown to him.
        assert login(world.gerant_b).get(types).status_code == 200
        main = login(world.gerant_b).get(types).content.decode().split('id="main"', 1)[1]
        assert "Consultation" not in main  # (the menu has « Consultations », the read traces)


class TestMessageAttachmentDownload:
    def url(self, message: Message) -> str:
        return reverse("ui:planning:message_attachment", args=[message.id])

    def test_whoever_can_see_the_message_downloads_its_pdf(
        self, world: World, things: dict[str, Any]
    ) -> None:
        for user in (world.gerant_a, world.operateur_a, world.client_user_a):
            response = login(user).get(self.url(things["message"]))
            assert response.status_code == 200, user
            assert response.content.startswith(b"%PDF")

    def test_others_get_404_and_anonymous_the_login_page(
        self, world: World, things: dict[str, Any]
    ) -> None:
        assert login(world.gerant_b).get(self.url(things["message"])).status_code == 404
        # The client user of A cannot see another client's message.
        assert login(world.client_user_a).get(self.url(things["elsewhere"])).status_code == 404
        stranger = f.ClientUserFactory.create(
            client=f.ClientFactory.create(permanence=world.perm_a), email="autre@a.test"
        )
        assert login(stranger).get(self.url(things["message"])).status_code == 404
        response = HttpClient().get(self.url(things["message"]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("ui:login"))

    def test_staff_without_the_reading_right_get_403(
        self, world: World, things: dict[str, Any]
    ) -> None:
        reader = without(world.operateur_a, perms.MESSAGES_READ)
        assert login(reader).get(self.url(things["message"])).status_code == 403


def api_matrix(
    world: World, t: dict[str, Any]
) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    c, a, k, m = world.client_a.id, t["appointment"].id, t["type"].id, t["message"].id
    base = "/api/v1"
    return {
        "list": ("get", f"{base}/clients/{c}/appointments?from=2026-11-30&to=2026-12-06", None),
        "create": (
            "post",
            f"{base}/clients/{c}/appointments",
            {"date": "2026-12-01", "start": "9:00"},
        ),
        "detail": ("get", f"{base}/appointments/{a}", None),
        "change": ("patch", f"{base}/appointments/{a}", {"note": "Changée"}),
        "cancel": ("post", f"{base}/appointments/{a}/cancel", {"reason": ""}),
        "movements": ("get", f"{base}/clients/{c}/movements", None),
        "types": ("get", f"{base}/appointment-types", None),
        "type_create": (
            "post",
            f"{base}/appointment-types",
            {"name": "Visite", "colour": "#15803d"},
        ),
        "type_change": ("patch", f"{base}/appointment-types/{k}", {"duration": 30}),
        "report": (
            "get",
            f"{base}/clients/{c}/report?kind=planning&from=2026-11-30&to=2026-12-06",
            None,
        ),
        "attachment": ("get", f"{base}/messages/{m}/attachment", None),
    }


def call(http: HttpClient, method: str, url: str, body: dict[str, Any] | None) -> int:
    fn: Callable[..., Any] = getattr(http, method)
    if body is None:
        return int(fn(url).status_code)
    return int(fn(url, body, content_type="application/json").status_code)


class TestApi:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            (
                "gerant_a",
                {"create": 201, "type_create": 201},
            ),
            (
                "operateur_a",
                {"create": 201, "type_create": 403, "type_change": 403},
            ),
            (
                "gerant_b",
                {
                    "list": 404, "create": 404, "detail": 404, "change": 404, "cancel": 404,
                    "movements": 404, "type_create": 201, "type_change": 404, "report": 404,
                    "attachment": 404,
                },
            ),
            (
                "client_user_a",
                {
                    "list": 403, "create": 403, "detail": 403, "change": 403, "cancel": 403,
                    "movements": 403, "types": 403, "type_create": 403, "type_change": 403,
                    "report": 403, "attachment": 200,
                },
            ),
        ],
    )  # fmt: skip
    def test_the_matrix(
        self, world: World, things: dict[str, Any], who: str, expected: dict[str, int]
    ) -> None:
        http = api_client(getattr(world, who))
        for name, (method, url, body) in api_matrix(world, things).items():
            if name == "cancel":
                continue  # last: it changes the appointment
            status = call(http, method, url, body)
            assert status == expected.get(name, 200), (who, name, status)
        method, url, body = api_matrix(world, things)["cancel"]
        assert call(http, method, url, body) == expected.get("cancel", 200)

    def test_anonymous_callers_get_401(self, world: World, things: dict[str, Any]) -> None:
        for name, (method, url, body) in api_matrix(world, things).items():
            assert call(HttpClient(), method, url, body) == 401, name

    def test_without_the_booking_right_the_api_writes_nothing(
        self, world: World, things: dict[str, Any]
    ) -> None:
        http = api_client(without(world.operateur_a, perms.PLANNING_ADD))
        matrix = api_matrix(world, things)
        for name in ("create", "change", "cancel"):
            assert call(http, *matrix[name]) == 403, name
        for name in ("list", "detail", "movements", "types", "report", "attachment"):
            assert call(http, *matrix[name]) == 200, name
        assert Appointment.objects.count() == 1
