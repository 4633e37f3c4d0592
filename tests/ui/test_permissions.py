"""The three-user world on every page: 404 across permanences, 403 without the right,
login for anonymous users; client users see their own client only.

Decision: staff-only pages (client list, coordinates, settings, roles, menu counts, copy
recipients) answer 403 to a client user whatever the id; pages about a client or message it
cannot see answer 404, exactly like an unknown id.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from relais.clients.models import Contact
from relais.messaging.models import Message, Reply
from relais.tenancy import permissions as perms
from relais.tenancy.models import Role
from tests.conftest import World, login
from tests.ui.conftest import Objects

pytestmark = pytest.mark.django_db

Url = Callable[[Objects], str]

CLIENT_GETS: list[tuple[str, Url]] = [
    ("client", lambda o: reverse("ui:client", args=[o.client.id])),
    ("threads", lambda o: reverse("ui:client_threads", args=[o.client.id])),
    ("contacts", lambda o: reverse("ui:contacts", args=[o.client.id]) + "?q=hel"),
    ("composer", lambda o: reverse("ui:composer", args=[o.client.id])),
    ("recipients", lambda o: reverse("ui:recipients", args=[o.client.id])),
    ("edit", lambda o: reverse("ui:client_edit", args=[o.client.id])),
    ("settings", lambda o: reverse("ui:client_settings", args=[o.client.id])),
    ("thread", lambda o: reverse("ui:thread", args=[o.message.id])),
    ("thread_poll", lambda o: reverse("ui:thread_poll", args=[o.message.id])),
]
POSTS: list[tuple[str, Url, dict[str, str]]] = [
    ("send", lambda o: reverse("ui:send", args=[o.client.id]), {"subject": "S", "body": "B"}),
    ("contact_new", lambda o: reverse("ui:contact_new", args=[o.client.id]), {"name": "X"}),
    ("reply", lambda o: reverse("ui:reply", args=[o.message.id]), {"body": "Réponse"}),
    ("task", lambda o: reverse("ui:task", args=[o.message.id]), {"action": "todo"}),
    ("unread", lambda o: reverse("ui:unread", args=[o.message.id]), {}),
    ("edit", lambda o: reverse("ui:client_edit", args=[o.client.id]), {"name": "Pirate"}),
    ("settings", lambda o: reverse("ui:client_settings", args=[o.client.id]), {}),
]
STAFF_PAGES = ["/clients/", "/roles/", "/menu/compteurs/"]


@pytest.mark.parametrize(("name", "url"), CLIENT_GETS, ids=[n for n, _ in CLIENT_GETS])
def test_it_answers_404_to_another_permanence(
    world: World, objs: Objects, name: str, url: Url
) -> None:
    assert login(world.gerant_b).get(url(objs)).status_code == 404


@pytest.mark.parametrize(("name", "url", "data"), POSTS, ids=[n for n, _, _ in POSTS])
def test_it_answers_404_to_posts_from_another_permanence_and_saves_nothing(
    world: World, objs: Objects, name: str, url: Url, data: dict[str, str]
) -> None:
    counts = (Message.objects.count(), Reply.objects.count(), Contact.objects.count())
    assert login(world.gerant_b).post(url(objs), data).status_code == 404
    assert (Message.objects.count(), Reply.objects.count(), Contact.objects.count()) == counts
    objs.client.refresh_from_db()
    assert objs.client.name == "Dr Cécile Lemoine"


@pytest.mark.parametrize(("name", "url"), CLIENT_GETS, ids=[n for n, _ in CLIENT_GETS])
def test_it_answers_404_for_unknown_or_malformed_ids(
    world: World, objs: Objects, name: str, url: Url
) -> None:
    path = url(objs).replace(str(objs.client.id), "not-a-uuid")
    path = path.replace(str(objs.message.id), "00000000-0000-0000-0000-000000000000")
    assert login(world.gerant_a).get(path).status_code == 404


@pytest.mark.parametrize("name", ["edit", "settings"])
def test_it_answers_403_to_an_operator_on_settings_pages(
    world: World, objs: Objects, name: str
) -> None:
    url = dict(CLIENT_GETS)[name](objs)
    http = login(world.operateur_a)
    assert http.get(url).status_code == 403
    assert http.post(url, {"name": "Changé", "message_info": "x"}).status_code == 403
    objs.client.refresh_from_db()
    assert objs.client.name == "Dr Cécile Lemoine"
    assert objs.client.message_info == ""


def test_it_answers_403_to_an_operator_on_the_roles_page(world: World) -> None:
    http = login(world.operateur_a)
    assert http.get("/roles/").status_code == 403
    response = http.post("/roles/", {"role-operateur": list(perms.CATALOGUE)})
    assert response.status_code == 403
    role = Role.objects.get(permanence=world.perm_a, kind=perms.OPERATEUR)
    assert perms.ROLES_EDIT not in role.permissions


def test_it_lets_the_gerant_open_every_staff_page(world: World, objs: Objects) -> None:
    http = login(world.gerant_a)
    for _name, url in CLIENT_GETS:
        assert http.get(url(objs)).status_code == 200, url(objs)
    for path in [*STAFF_PAGES, "/"]:
        assert http.get(path).status_code == 200, path


def test_it_answers_403_without_the_writing_right(world: World, objs: Objects) -> None:
    role = Role.objects.get(permanence=world.perm_a, kind=perms.OPERATEUR)
    role.permissions = [p for p in role.permissions if p != perms.MESSAGES_ADD]
    role.save()
    http = login(world.operateur_a)
    assert http.get(reverse("ui:composer", args=[objs.client.id])).status_code == 403
    before = Message.objects.count()
    response = http.post(reverse("ui:send", args=[objs.client.id]), {"subject": "S", "body": "B"})
    assert response.status_code == 403
    assert Message.objects.count() == before


@pytest.mark.parametrize("url", ["/", *STAFF_PAGES, "/clients/x/"])
def test_it_redirects_anonymous_users_to_login(url: str) -> None:
    response = HttpClient().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")


@pytest.mark.parametrize(("name", "url"), CLIENT_GETS, ids=[n for n, _ in CLIENT_GETS])
def test_it_redirects_anonymous_users_to_login_on_object_pages(
    objs: Objects, name: str, url: Url
) -> None:
    response = HttpClient().get(url(objs))
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")


class TestClientUser:
    def test_it_shows_its_own_client_on_its_home(self, world: World, objs: Objects) -> None:
        response = login(world.client_user_a).get("/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "Dr Cécile Lemoine" in html
        assert "Rappel Mme Durand" in html
        assert "Plomberie Durand" not in html
        assert "Fuite" not in html

    def test_it_sends_the_client_file_url_to_its_home(self, world: World, objs: Objects) -> None:
        response = login(world.client_user_a).get(reverse("ui:client", args=[objs.client.id]))
        assert response.status_code == 302
        assert response["Location"] == "/"

    @pytest.mark.parametrize(
        "url",
        [
            lambda o: reverse("ui:client", args=[o.other_client.id]),
            lambda o: reverse("ui:client_threads", args=[o.other_client.id]),
            lambda o: reverse("ui:contacts", args=[o.other_client.id]),
            lambda o: reverse("ui:composer", args=[o.other_client.id]),
            lambda o: reverse("ui:thread", args=[o.other_message.id]),
            lambda o: reverse("ui:thread_poll", args=[o.other_message.id]),
        ],
    )
    def test_it_answers_404_on_another_client_of_the_permanence(
        self, world: World, objs: Objects, url: Url
    ) -> None:
        assert login(world.client_user_a).get(url(objs)).status_code == 404

    def test_it_cannot_post_on_another_client(self, world: World, objs: Objects) -> None:
        http = login(world.client_user_a)
        before = Message.objects.count()
        url = reverse("ui:send", args=[objs.other_client.id])
        assert http.post(url, {"subject": "S", "body": "B"}).status_code == 404
        url = reverse("ui:reply", args=[objs.other_message.id])
        assert http.post(url, {"body": "B"}).status_code == 404
        assert Message.objects.count() == before
        assert not Reply.objects.exists()

    @pytest.mark.parametrize("url", STAFF_PAGES)
    def test_it_answers_403_on_staff_only_pages(self, world: World, url: str) -> None:
        assert login(world.client_user_a).get(url).status_code == 403

    @pytest.mark.parametrize("name", ["edit", "settings", "recipients"])
    def test_it_answers_403_on_staff_only_client_pages(
        self, world: World, objs: Objects, name: str
    ) -> None:
        assert login(world.client_user_a).get(dict(CLIENT_GETS)[name](objs)).status_code == 403

    def test_it_opens_its_own_pages(self, world: World, objs: Objects) -> None:
        http = login(world.client_user_a)
        for name in ["threads", "contacts", "composer", "thread", "thread_poll"]:
            assert http.get(dict(CLIENT_GETS)[name](objs)).status_code == 200, name
