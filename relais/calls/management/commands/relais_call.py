"""A telephone system for the demo and the tests: posts the CTI webhook a PBX would post.

    manage.py relais_call --to "04 91 00 00 01" --from "06 71 23 45 89" \
        [--answer lea@azur.example] [--hangup-after 30] [--ring 2] [--url http://127.0.0.1:8000]

The called number (`--to`) picks the client and so the permanence, whose CTI secret the
command reads from the database; the events go through HTTP to the running server, exactly as
a PBX's would.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from relais.calls.services import phone_e164, secrets_for
from relais.clients.models import ClientNumber


class Command(BaseCommand):
    help = "Simule un appel : newCall, puis answer et hangup, sur le webhook CTI du serveur."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--to", required=True, help="numéro dédié du client appelé")
        parser.add_argument("--from", dest="caller", default="anonymous", help="appelant")
        parser.add_argument("--answer", default="", help="opérateur : e-mail, login ou poste")
        parser.add_argument("--hangup-after", type=float, default=None, help="secondes")
        parser.add_argument("--ring", type=float, default=1.0, help="secondes avant answer")
        parser.add_argument("--url", default=settings.SITE_URL, help="adresse du serveur")
        parser.add_argument("--call-id", default="", help="identifiant de l'appel (PBX)")

    def handle(self, *args: Any, **options: Any) -> None:
        number = phone_e164(options["to"])
        line = ClientNumber.objects.filter(number=number).select_related("client").first()
        if line is None:
            raise CommandError(f"Aucun client n'a le numéro dédié « {options['to']} ».")
        token = secrets_for(line.permanence_id).cti_token
        url = f"{options['url'].rstrip('/')}/api/v1/cti/{token}"
        call_id = options["call_id"] or uuid.uuid4().hex
        base = {"callId": call_id, "from": options["caller"], "to": options["to"]}
        base["direction"] = "in"
        self.stdout.write(f"Appel {call_id} pour {line.client.name} depuis {options['caller']}")
        self._post(url, {**base, "event": "newCall"})
        if options["answer"]:
            time.sleep(max(0.0, options["ring"]))
            answer = {**base, "event": "answer", "answeringNumber": options["answer"]}
            self._post(url, {**answer, "user[]": [options["answer"]]})
        if options["hangup_after"] is not None:
            time.sleep(max(0.0, options["hangup_after"]))
            self._post(url, {**base, "event": "hangup", "cause": "normalClearing"})

    def _post(self, url: str, payload: dict[str, Any]) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise CommandError(f"{payload['event']} : le serveur a répondu {exc.code}.") from exc
        except urllib.error.URLError as exc:
            raise CommandError(f"Serveur injoignable ({url}) : {exc.reason}") from exc
        self.stdout.write(f"  {payload['event']} → appel {answer.get('call')}")
