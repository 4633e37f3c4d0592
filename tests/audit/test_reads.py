"""Who read what (issue 19, point 8): one trace per read of a message's content, on every path,
and the « Consultations » shown to the gérant only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from relais.audit.models import MessageRead
from relais.delivery.models import OutboxCopy
from relais.delivery.worker import deliver_due
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from tests.api.conftest import call
from tests.conftest import World, api_client, login

pytestmark = pytest.mark.django_db


def sent(world: World, **fields: Any) -> Message:
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=SendInput(subject=fields.pop("subject", "Rappel patient"), body="Merci.", **fields),
    )
    return message


def reads(message: Message) -> list[tuple[Any, str]]:
    return list(MessageRead.objects.filter(message_id=message.id).values_list("user_id", "via"))


def test_it_traces_the_thread_page_with_who_when_and_where(world: World) -> None:
    message = sent(world)
    http = HttpClient(REMOTE_ADDR="203.0.113.7")
    http.force_login(world.superviseur_a, backend="relais.tenancy.backends.UserBackend")
    assert http.get(reverse("ui:thread", args=[message.id])).status_code == 200
    (read,) = MessageRead.objects.filter(message_id=message.id)
    assert (read.user_id, read.via, read.ip) == (world.superviseur_a.id, "page", "203.0.113.7")
    assert read.permanence_id == world.perm_a.id


def test_it_traces_the_email_copys_link_as_link(world: World) -> None:
    from relais.delivery.content import EMAIL_LINK_QUERY
    from relais.messaging.display import thread_path

    message = sent(world)
    response = login(world.client_user_a).get(thread_path(message.id) + EMAIL_LINK_QUERY)
    assert response.status_code == 200
    assert reads(message) == [(world.client_user_a.id, "link")]


def test_the_email_copy_carries_the_traced_link(world: World, settings: Any) -> None:
    from relais.delivery.backends import memory

    message = sent(world, copy_email=True)
    deliver_due(grace=0)
    (copy,) = [c for c in memory.outbox if c.message_id == message.id]
    assert f"/messages/{message.id}/?lien=email" in copy.text
    assert f"/messages/{message.id}/?lien=email" in copy.html


def test_it_traces_the_api_detail(world: World) -> None:
    message = sent(world)
    assert call(api_client(world.operateur_a), "GET", f"/messages/{message.id}").status_code == 200
    assert reads(message) == [(world.operateur_a.id, "api")]


def test_a_refused_read_leaves_no_trace(world: World) -> None:
    message = sent(world)
    assert call(api_client(world.gerant_b), "GET", f"/messages/{message.id}").status_code == 404
    assert login(world.gerant_b).get(reverse("ui:thread", args=[message.id])).status_code == 404
    assert reads(message) == []


def test_polling_a_thread_is_not_a_new_read(world: World) -> None:
    message = sent(world)
    http = login(world.operateur_a)
    http.get(reverse("ui:thread", args=[message.id]))
    http.get(reverse("ui:thread_poll", args=[message.id]))
    assert reads(message) == [(world.operateur_a.id, "page")]


def test_it_traces_the_attached_pdf_for_the_message_and_those_it_shows(world: World) -> None:
    today = dt.date.today()
    earlier = sent(world, subject="Ancien message")
    message = sent(
        world,
        subject="Avec PDF",
        attach={
            "kind": "movements_all",
            "from": (today - dt.timedelta(days=1)).isoformat(),
            "to": today.isoformat(),
        },
    )
    page = login(world.operateur_a).get(
        reverse("ui:planning:message_attachment", args=[message.id])
    )
    assert page.status_code == 200
    assert reads(message) == [(world.operateur_a.id, "pdf")]
    assert reads(earlier) == [(world.operateur_a.id, "pdf")]
    api = call(api_client(world.gerant_a), "GET", f"/messages/{message.id}/attachment")
    assert api.status_code == 200
    assert (world.gerant_a.id, "pdf") in reads(message)


def test_it_traces_every_message_of_a_report_in_one_insert(
    world: World, django_assert_num_queries: Any
) -> None:
    today = dt.date.today().isoformat()
    messages = [sent(world, subject=f"Message {i}") for i in range(3)]
    http = login(world.operateur_a)
    url = reverse("ui:planning:activity_pdf", args=[world.client_a.id])
    query = f"?quoi=movements_all&du={today}&au={today}"
    assert http.get(url + query).status_code == 200
    for message in messages:
        assert reads(message) == [(world.operateur_a.id, "report")]
    MessageRead.objects.all().delete()
    response = call(
        api_client(world.gerant_a),
        "GET",
        f"/clients/{world.client_a.id}/report?kind=movements_all&from={today}&to={today}",
    )
    assert response.status_code == 200
    assert all(reads(m) == [(world.gerant_a.id, "report")] for m in messages)
    MessageRead.objects.all().delete()
    preview = reverse("ui:planning:activity", args=[world.client_a.id])
    assert http.get(preview + query).status_code == 200
    assert all(reads(m) == [(world.operateur_a.id, "report")] for m in messages)


@pytest.mark.urls("tests.delivery.urls")
def test_it_traces_the_outbox_copy_page_and_its_pdf(world: World, settings: Any) -> None:
    settings.RELAIS_FAX_BACKEND = "outbox"
    settings.RELAIS_EMAIL_BACKEND = "outbox"
    message = sent(world, copy_fax=True, copy_email=True)
    deliver_due(grace=0)
    email = OutboxCopy.objects.get(channel="email")
    fax = OutboxCopy.objects.get(channel="fax")
    http = login(world.superviseur_a)
    assert http.get(reverse("delivery:outbox_copy", args=[email.id])).status_code == 200
    assert reads(message) == [(world.superviseur_a.id, "outbox")]
    (pdf,) = fax.attachments.all()
    url = reverse("delivery:outbox_attachment", args=[fax.id, pdf.id])
    assert http.get(url).status_code == 200
    assert reads(message) == [(world.superviseur_a.id, "outbox")] * 2
    # The list shows no content: no trace.
    http.get(reverse("delivery:outbox"))
    assert len(reads(message)) == 2


# --- « Consultations »: the gérant sees them, nobody else ----------------------------------


def test_the_gerant_sees_who_read_a_message_through_the_api(world: World) -> None:
    message = sent(world)
    login(world.operateur_a).get(reverse("ui:thread", args=[message.id]))
    call(api_client(world.superviseur_a), "GET", f"/messages/{message.id}")
    response = call(api_client(world.gerant_a), "GET", f"/messages/{message.id}/reads")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["user"]["id"], i["via"]) for i in items] == [
        (str(world.superviseur_a.id), "api"),
        (str(world.operateur_a.id), "page"),
    ]
    assert items[0]["user"]["name"] == world.superviseur_a.name
    assert items[0]["ip"] == "127.0.0.1"
    assert items[0]["at"].endswith("+01:00") or items[0]["at"].endswith("+02:00")


def test_reads_answer_403_without_the_right_and_404_across_permanences(world: World) -> None:
    message = sent(world)
    path = f"/messages/{message.id}/reads"
    assert call(api_client(world.operateur_a), "GET", path).status_code == 403
    assert call(api_client(world.superviseur_a), "GET", path).status_code == 403
    assert call(api_client(world.client_user_a), "GET", path).status_code == 403
    assert call(api_client(world.gerant_b), "GET", path).status_code == 404
    unknown = "/messages/00000000-0000-0000-0000-000000000000/reads"
    assert call(api_client(world.gerant_a), "GET", unknown).status_code == 404


def test_the_thread_page_shows_consultations_to_the_gerant_only(world: World) -> None:
    message = sent(world)
    fragment = reverse("ui:message_reads", args=[message.id])
    gerant = login(world.gerant_a)
    page = gerant.get(reverse("ui:thread", args=[message.id])).content.decode()
    assert fragment in page
    html = gerant.get(fragment).content.decode()
    assert "Consultations" in html and world.gerant_a.name in html and "Page du message" in html
    operateur = login(world.operateur_a)
    assert fragment not in operateur.get(reverse("ui:thread", args=[message.id])).content.decode()
    assert operateur.get(fragment).status_code == 403
    assert login(world.client_user_a).get(fragment).status_code == 403
    assert login(world.gerant_b).get(fragment).status_code == 404


def test_the_reads_page_lists_per_user_and_exports_csv(world: World) -> None:
    message = sent(world, subject="Résultats")
    login(world.operateur_a).get(reverse("ui:thread", args=[message.id]))
    login(world.superviseur_a).get(reverse("ui:thread", args=[message.id]))
    http = login(world.gerant_a)
    url = reverse("ui:reads")
    page = http.get(url, {"utilisateur": str(world.operateur_a.id)})
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        world.operateur_a.name in html and world.superviseur_a.name not in html.split("<table")[-1]
    )
    csv = http.get(url, {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = text.strip().splitlines()
    assert lines[0] == "date;utilisateur;e-mail;message;via;adresse"
    assert len(lines) == 3
    assert all(str(message.id) in line and ";page;127.0.0.1" in line for line in lines[1:])
    assert http.get(url, {"du": "2026-12-06", "au": "2026-12-01"}).status_code == 422
    assert http.get(url, {"utilisateur": str(world.gerant_b.id)}).status_code == 422


def test_the_reads_and_journal_pages_need_the_right(world: World) -> None:
    for name in ("reads", "journal", "retention"):
        url = reverse(f"ui:{name}")
        assert login(world.operateur_a).get(url).status_code == 403
        assert login(world.client_user_a).get(url).status_code == 403
        assert login(world.gerant_a).get(url).status_code == 200
    assert HttpClient().get(reverse("ui:reads")).status_code == 302


def test_a_csv_cell_never_starts_a_formula(world: World) -> None:
    message = sent(world)
    world.operateur_a.first_name = "=HYPERLINK(1)"
    world.operateur_a.save()
    login(world.operateur_a).get(reverse("ui:thread", args=[message.id]))
    csv = login(world.gerant_a).get(reverse("ui:reads"), {"format": "csv"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert ";'=HYPERLINK(1)" in text
