"""The security journal (issue 19, point 8): logins and failures, tokens, rights, settings; read
by the gérant in the pages and through GET /api/v1/audit."""

from __future__ import annotations

import base64

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.tenancy import permissions as perms
from relais.tenancy.models import Role
from tests.api.conftest import call
from tests.conftest import World, api_client, login
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def kinds(world: World) -> list[str]:
    return list(
        AuditEvent.objects.filter(permanence_id=world.perm_a.id)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_it_traces_page_logins_failures_and_logouts(world: World) -> None:
    http = HttpClient(REMOTE_ADDR="198.51.100.4")
    url = reverse("ui:login")
    http.post(url, {"username": world.operateur_a.email, "password": "faux"})
    http.post(url, {"username": world.operateur_a.email, "password": PASSWORD})
    http.post(reverse("ui:logout"))
    assert kinds(world) == ["login_failed", "login", "logout"]
    failed = AuditEvent.objects.get(kind="login_failed")
    assert failed.ip == "198.51.100.4"
    assert failed.target == f"user:{world.operateur_a.id}"
    assert failed.detail == {"email": world.operateur_a.email}
    assert "faux" not in str(failed.detail)


def test_a_failure_on_an_unknown_email_belongs_to_no_permanence(world: World) -> None:
    from django.contrib.auth.signals import user_login_failed

    # Sent as Django sends it; a NUL byte (refused by PostgreSQL) never reaches the trace.
    user_login_failed.send(sender=None, credentials={"username": "x\x00@y.test"}, request=None)
    event = AuditEvent.objects.get(kind="login_failed")
    assert event.permanence_id is None and event.detail == {"email": "x@y.test"}


def test_it_traces_token_creation_and_revocation(world: World) -> None:
    http = HttpClient()
    response = call(
        http, "POST", "/auth/token", {"username": world.operateur_a.email, "password": PASSWORD}
    )
    token = response.json()["token"]
    call(HttpClient(headers={"Authorization": f"Bearer {token}"}), "DELETE", "/auth/token")
    assert kinds(world) == ["login", "token_created", "token_revoked"]
    assert AuditEvent.objects.get(kind="login").detail == {"via": "api"}


def test_it_traces_rights_changes_with_what_was_added_and_removed(world: World) -> None:
    role = Role.objects.get(permanence=world.perm_a, kind=perms.OPERATEUR)
    wanted = [p for p in role.permissions if p != perms.PLANNING_ADD] + [perms.MESSAGES_REMARKS]
    form = {
        f"role-{r.kind}": r.permissions
        for r in Role.objects.filter(permanence=world.perm_a).exclude(kind=perms.OPERATEUR)
    }
    response = login(world.gerant_a).post(reverse("ui:roles"), {**form, "role-operateur": wanted})
    assert response.status_code == 302
    (event,) = AuditEvent.objects.filter(kind="rights_changed")
    assert event.actor_id == world.gerant_a.id and event.target == "role:operateur"
    assert event.detail == {"added": [perms.MESSAGES_REMARKS], "removed": [perms.PLANNING_ADD]}


def test_it_traces_client_settings_changes(world: World) -> None:
    from relais.clients.services import client_update_message_settings

    client_update_message_settings(
        user=world.gerant_a,
        client=world.client_a,
        default_copy_email=True,
        default_copy_sms=False,
        default_copy_fax=False,
        message_info="Absent le 12",
    )
    (event,) = AuditEvent.objects.filter(kind="settings_changed")
    assert event.target == f"client:{world.client_a.id}"
    assert event.detail["changed"]["message_info"] == ["", "Absent le 12"]


def test_the_gerant_reads_the_journal_through_the_api_with_filters(world: World) -> None:
    login(world.operateur_a).post(reverse("ui:logout"))
    HttpClient().post(reverse("ui:login"), {"username": world.gerant_b.email, "password": "x"})
    http = api_client(world.gerant_a)
    response = call(http, "GET", "/audit")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {i["kind"] for i in items} == {"login", "logout"}
    assert all(i["actor"]["id"] == str(world.operateur_a.id) for i in items)
    only = call(http, "GET", "/audit?kind=logout").json()["items"]
    assert [i["label"] for i in only] == ["Déconnexion"]
    mine = call(http, "GET", f"/audit?user={world.gerant_a.id}").json()["items"]
    assert mine == []
    assert call(http, "GET", "/audit?kind=nimportequoi").status_code == 422
    assert call(http, "GET", "/audit?from=2026-12-06&to=2026-12-01").status_code == 422
    assert call(http, "GET", "/audit?cursor=%%%").status_code == 422
    huge = base64.urlsafe_b64encode(b"a" + b"9" * 30).decode().rstrip("=")
    assert call(http, "GET", f"/audit?cursor={huge}").status_code == 422
    assert call(http, "GET", f"/audit?user={world.gerant_b.id}").status_code == 404


def test_the_journal_pages_on(world: World) -> None:
    from relais.audit.services import audit_record

    for i in range(5):
        audit_record(permanence_id=world.perm_a.id, kind="login", detail={"n": i})
    http = api_client(world.gerant_a)
    first = call(http, "GET", "/audit?limit=3").json()
    assert [i["detail"]["n"] for i in first["items"]] == [4, 3, 2]
    second = call(http, "GET", f"/audit?limit=3&cursor={first['next']}").json()
    assert [i["detail"]["n"] for i in second["items"]] == [1, 0]
    assert second["next"] is None


def test_the_journal_answers_403_without_the_right(world: World) -> None:
    for user in (world.operateur_a, world.superviseur_a, world.client_user_a):
        assert call(api_client(user), "GET", "/audit").status_code == 403


def test_the_journal_page_shows_the_permanences_events_only(world: World) -> None:
    from relais.audit.services import audit_record

    audit_record(permanence_id=world.perm_a.id, kind="login", target="user:ici")
    audit_record(permanence_id=world.perm_b.id, kind="login", target="user:ailleurs")
    html = login(world.gerant_a).get(reverse("ui:journal")).content.decode()
    assert "user:ici" in html and "user:ailleurs" not in html
    assert login(world.gerant_a).get(reverse("ui:journal"), {"type": "zz"}).status_code == 422
