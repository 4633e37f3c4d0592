"""Client remarks and private messages on every path (PRODUCT.md §3 and §7): pages, API, counts,
search and copies that leave the building.

A remark is seen by the permanence's gérants and superviseurs (and the client user who wrote
it) — never by an operator, another client user, a copy or circle recipient, a sharing target or
another permanence. A private message is seen by the permanence's staff and the client's own
users — never by sharing targets, copy or circle recipients. To make any leak show, both are
open day tasks due today, urgent and unread, like a control message that everyone concerned sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from relais.delivery.models import Delivery
from relais.messaging.models import Message, Recipient
from relais.messaging.services import SendInput, message_send, reply_post, task_set
from relais.tenancy.models import User
from tests import factories
from tests.api.conftest import call
from tests.conftest import World, api_client, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
REMARK = "Remarque confidentielle"
PRIVATE = "Résultats privés"
CONTROL = "Message partagé"


@dataclass
class Scene:
    remark: Message
    private: Message
    control: Message
    people: dict[str, User]


@pytest.fixture
def scene(world: World) -> Scene:
    a = world.client_a
    company = f.CompanyFactory(permanence=world.perm_a, name="Groupe du Port")
    a.company = company
    a.save()
    sibling = f.ClientFactory(permanence=world.perm_a, company=company, name="Dr Roche")
    cc_user = f.ClientUserFactory(client=sibling, first_name="Copie")
    circle_user = f.ClientUserFactory(client=sibling, first_name="Cercle")
    company.circle.add(circle_user)
    sharer = f.ClientUserFactory(client=f.ClientFactory(permanence=world.perm_a, name="Girard"))
    f.ClientShareFactory(client=a, user=sharer)
    today = timezone.localdate()

    def send(author: User, subject: str, **options: Any) -> Message:
        message, _ = message_send(
            author=author, client=a, data=SendInput(subject=subject, body=subject, **options)
        )
        return message

    remark = send(world.client_user_a, REMARK, is_client_remark=True, is_urgent=True)
    task_set(user=world.superviseur_a, message=remark, action="todo", due_date=today)
    private = send(
        world.gerant_a,
        PRIVATE,
        is_private=True,
        is_urgent=True,
        is_task=True,
        due_date=today,
        copy_email=True,
    )
    control = send(
        world.gerant_a,
        CONTROL,
        is_urgent=True,
        is_task=True,
        due_date=today,
        cc=[cc_user.id],
        copy_circle=True,
        copy_email=True,
    )
    people = {
        "gerant": world.gerant_a,
        "superviseur": world.superviseur_a,
        "operateur": world.operateur_a,
        "client": world.client_user_a,
        "assistant": f.ClientUserFactory(client=a, first_name="Assistante"),
        "sharer": sharer,
        "cc": cc_user,
        "circle": circle_user,
        "stranger": f.ClientUserFactory(client=f.ClientFactory(permanence=world.perm_a)),
        "outsider": world.gerant_b,
    }
    return Scene(remark=remark, private=private, control=control, people=people)


# Who sees which of the three (True: sees it).
SEES = {
    #             remark  private control
    "gerant": (True, True, True),
    "superviseur": (True, True, True),
    "operateur": (False, True, True),
    "client": (True, True, True),  # the remark's author, the client's own user
    "assistant": (False, True, True),  # another user of the same client
    "sharer": (False, False, True),
    "cc": (False, False, True),
    "circle": (False, False, True),
    "stranger": (False, False, False),
    "outsider": (False, False, False),
}
STAFF = ["gerant", "superviseur", "operateur", "outsider"]
CLIENT_USERS = ["client", "assistant", "sharer", "cc", "circle", "stranger"]


def expected(who: str) -> set[str]:
    return {s for s, seen in zip((REMARK, PRIVATE, CONTROL), SEES[who], strict=True) if seen}


def shown(html: str) -> set[str]:
    return {s for s in (REMARK, PRIVATE, CONTROL) if s in html}


def body(response: Any) -> str:
    assert response.status_code == 200, (response.status_code, response.request["PATH_INFO"])
    return str(response.content.decode())


@pytest.mark.parametrize("who", STAFF)
def test_it_keeps_staff_pages_and_counts_to_what_the_role_may_see(
    scene: Scene, world: World, who: str
) -> None:
    user = scene.people[who]
    http = login(user)
    want = expected(who)
    client_url = reverse("ui:client", args=[world.client_a.id])
    if who == "outsider":
        assert http.get(client_url).status_code == 404
    else:
        assert shown(body(http.get(client_url))) == want
        assert shown(body(http.get(reverse("ui:client_threads", args=[world.client_a.id])))) == want
        bar = body(http.get(f"/jour/?client={world.client_a.id}", headers=HTMX))
        assert f'data-day-count="{len(want)}"' in bar
        day_list = f"/taches/jour/?client={world.client_a.id}"
        assert shown(body(http.get(day_list, headers=HTMX))) == want
    # Each author has read its own message: the Urgent list and count leave those out.
    unread = want - ({PRIVATE, CONTROL} if who == "gerant" else set())
    for url in ["/taches/", "/taches/suivi/", "/taches/jour/"]:
        assert shown(body(http.get(url))) == want, url
    assert shown(body(http.get("/urgent/"))) == unread
    assert f'data-day-count="{len(want)}"' in body(http.get("/"))
    remarks = http.get("/remarques/")
    if who in ("gerant", "superviseur"):
        assert shown(body(remarks)) == {REMARK}
    elif who == "outsider":
        assert shown(body(remarks)) == set()
    else:
        assert remarks.status_code == 403
    menu = body(http.get("/menu/compteurs/"))
    assert f"({len(want)} tâche" in menu
    assert f"({len(unread)} urgent" in menu
    for message in (scene.remark, scene.private, scene.control):
        response = http.get(reverse("ui:thread", args=[message.id]))
        assert response.status_code == (200 if message.subject in want else 404)


@pytest.mark.parametrize("who", CLIENT_USERS)
def test_it_keeps_client_users_pages_to_what_they_may_see(scene: Scene, who: str) -> None:
    http = login(scene.people[who])
    want = expected(who)
    assert shown(body(http.get("/"))) == want  # the portal: own client's and shared threads
    for message in (scene.remark, scene.private, scene.control):
        response = http.get(reverse("ui:thread", args=[message.id]))
        assert response.status_code == (200 if message.subject in want else 404)
        reply = http.post(reverse("ui:reply", args=[message.id]), {"body": "Vu"})
        assert reply.status_code == (302 if message.subject in want else 404)
    for url in ["/taches/", "/urgent/", "/remarques/", "/jour/", "/menu/compteurs/"]:
        assert http.get(url).status_code == 403, url


@pytest.mark.parametrize("who", STAFF + CLIENT_USERS)
def test_it_keeps_every_api_path_to_what_the_user_may_see(
    scene: Scene, world: World, who: str
) -> None:
    user = scene.people[who]
    http = api_client(user)
    want = expected(who)

    def subjects(path: str) -> set[str]:
        response = call(http, "GET", path)
        assert response.status_code == 200, (path, response.status_code)
        return {m["subject"] for m in response.json()["items"]}

    assert subjects("/messages") == want
    assert subjects("/urgent") == want - ({PRIVATE, CONTROL} if who == "gerant" else set()) - (
        {REMARK} if who == "client" else set()
    )
    for message in (scene.remark, scene.private, scene.control):
        status = call(http, "GET", f"/messages/{message.id}").status_code
        assert status == (200 if message.subject in want else 404), (who, message.subject)
    counts = call(http, "GET", "/day-tasks").json()
    assert counts == ({timezone.localdate().isoformat(): len(want)} if want else {})
    if who in STAFF:
        assert subjects("/tasks") == want
        remarks = call(http, "GET", "/remarks")
        if who in ("gerant", "superviseur", "outsider"):
            assert {m["subject"] for m in remarks.json()["items"]} == (
                set() if who == "outsider" else {REMARK}
            )
        else:
            assert remarks.status_code == 403
    else:
        assert call(http, "GET", "/tasks").status_code == 403
        assert call(http, "GET", "/remarks").status_code == 403
    if who != "outsider" and who != "stranger":
        client_list = call(http, "GET", f"/clients/{world.client_a.id}/messages")
        if client_list.status_code == 200:
            assert {m["subject"] for m in client_list.json()["items"]} == want


def test_it_never_leaks_a_remark_through_search(scene: Scene, world: World) -> None:
    secret = "confidentielle"  # in the remark's subject and body, never in a query below
    for who in ("operateur", "assistant"):
        http = login(scene.people[who])
        for url in [
            "/?q=Remarque",
            "/?q=Dr",
            f"/clients/{world.client_a.id}/contacts/?q=Remarque",
            f"/clients/{world.client_a.id}/fils/",
        ]:
            response = http.get(url, headers=HTMX)
            if response.status_code == 200:
                assert secret not in response.content.decode(), (who, url)
    # The recipients picker lists people, never a message.
    html = body(login(world.operateur_a).get(f"/clients/{world.client_a.id}/destinataires/?q=r"))
    assert secret not in html


def test_it_sends_no_copy_of_a_remark_or_of_a_private_message_to_anyone_else(
    scene: Scene, world: World
) -> None:
    # The remark has no copy, no recipient, and a reply adds none.
    reply_post(author=world.superviseur_a, message=scene.remark, body="Merci, c'est noté.")
    assert not Delivery.objects.filter(message=scene.remark).exists()
    assert not Recipient.objects.filter(message=scene.remark).exists()
    # The private message goes to the client's own address only.
    copies = list(Delivery.objects.filter(message=scene.private).values_list("to", "recipient"))
    assert copies == [(world.client_a.email, None)]
    assert not Recipient.objects.filter(message=scene.private).exists()
    # The control message does reach its copy and circle recipients: the rule is not vacuous.
    reached = set(Delivery.objects.filter(message=scene.control).values_list("to", flat=True))
    assert {scene.people["cc"].email, scene.people["circle"].email} <= reached


@pytest.mark.parametrize(
    "copies",
    [
        {"copy_email": True},
        {"copy_sms": True},
        {"copy_fax": True},
        {"copy_circle": True},
        {"cc": ["<gerant>"]},
    ],
)
def test_it_refuses_a_remark_with_copies_and_saves_nothing(
    scene: Scene, world: World, copies: dict[str, Any]
) -> None:
    if "cc" in copies:
        copies = {"cc": [str(world.gerant_a.id)]}
    before = (Message.objects.count(), Delivery.objects.count())
    response = call(
        api_client(world.client_user_a),
        "POST",
        f"/clients/{world.client_a.id}/messages",
        {"subject": "Remarque", "body": "Texte", "is_client_remark": True, **copies},
    )
    assert response.status_code == 422
    assert (Message.objects.count(), Delivery.objects.count()) == before


def test_it_refuses_a_remark_written_by_staff(world: World) -> None:
    response = call(
        api_client(world.gerant_a),
        "POST",
        f"/clients/{world.client_a.id}/messages",
        {"subject": "Remarque", "body": "Texte", "is_client_remark": True},
    )
    assert response.status_code == 422
    assert "is_client_remark" in response.json()["errors"]
    assert not Message.objects.exists()


def test_it_posts_a_remark_from_the_portal_composer(world: World) -> None:
    http = login(world.client_user_a)
    form = body(http.get(reverse("ui:composer", args=[world.client_a.id]), headers=HTMX))
    assert 'name="is_client_remark"' in form
    assert 'name="copy_email"' not in form and 'name="is_task"' not in form
    response = http.post(
        reverse("ui:send", args=[world.client_a.id]),
        {"subject": REMARK, "body": "Attente trop longue.", "is_client_remark": "on"},
        headers=HTMX,
    )
    assert response.status_code == 200
    remark = Message.objects.get(subject=REMARK)
    assert remark.is_client_remark and remark.author == world.client_user_a
    assert not Delivery.objects.filter(message=remark).exists()
    # And the staff composer offers no such option.
    form = body(
        login(world.operateur_a).get(reverse("ui:composer", args=[world.client_a.id]), headers=HTMX)
    )
    assert 'name="is_client_remark"' not in form


def test_it_leaves_remarks_out_of_the_pdf_reports_attached_to_copies(
    scene: Scene, world: World
) -> None:
    from relais.exports.reports import MOVEMENTS_ALL, Reader, report_build

    today = timezone.localdate()

    def heads(reader: Reader) -> str:
        report = report_build(
            client=world.client_a, kind=MOVEMENTS_ALL, start=today, end=today, reader=reader
        )
        return " ".join(e.head + e.text for day in report.activity_days for e in day.entries)

    for reader in (
        Reader.of_client(world.client_a),  # what the client's e-mail copy carries
        Reader.of_user(world.gerant_a, world.client_a),  # even a gérant's own export
    ):
        text = heads(reader)
        assert CONTROL in text and REMARK not in text
    # A sharing target's report never holds the private message.
    assert PRIVATE not in heads(Reader.of_user(scene.people["sharer"], world.client_a))
