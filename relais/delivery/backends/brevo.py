"""SMS copies through Brevo's transactional SMS API (https://developers.brevo.com).

POST {BREVO_API_URL}/transactionalSMS/send with the `api-key` header and
{"sender", "recipient", "content", "type": "transactional", "tag", "webUrl", "unicodeEnabled"};
2xx answers {"messageId": …}; errors answer {"code", "message"} with 400 (invalid_parameter,
missing_parameter…), 401 (unauthorized), 402 (not_enough_credits), 403 (permission_denied),
429 (rate limit) or 5xx. Brevo then calls `webUrl` (our per-delivery callback) with
{"msg_status": "sent" | "delivered" | "soft_bounce" | "hard_bounce", "messageId", …}.

The API has no idempotency key. Each SMS is tagged with its delivery id instead, and after an
attempt whose outcome is unknown the worker asks Brevo's event log for that tag before sending
again (lookup()).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings

from relais.delivery.backends.base import (
    Backend,
    DeliveryError,
    OutgoingCopy,
    SendResult,
    format_number,
    parse_number,
    permanent,
    temporary,
)


class BrevoSMSBackend(Backend):
    name = "brevo"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.api_key = options.get("api_key", settings.BREVO_API_KEY)
        self.base_url = options.get("base_url", settings.BREVO_API_URL).rstrip("/")
        self.sender = options.get("sender", settings.BREVO_SMS_SENDER)
        self.timeout = float(options.get("timeout", settings.BREVO_TIMEOUT))

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "api-key": self.api_key,
                "accept": "application/json",
                "content-type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self.classify(exc.code, exc.read()) from exc
        except TimeoutError as exc:
            raise temporary(
                "Brevo ne répond pas (délai dépassé).", backend_down=True, in_doubt=True
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise temporary(f"Brevo injoignable ({reason}).", backend_down=True) from exc
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {}

    @staticmethod
    def classify(status: int, raw: bytes) -> DeliveryError:
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        code = str(payload.get("code", "")).strip()
        text = str(payload.get("message", "")).strip()[:160]
        detail = f"{status} {code}".strip() + (f" : {text}" if text else "")
        if status in (400, 422):
            lowered = f"{code} {text}".lower()
            if any(word in lowered for word in ("phone", "recipient", "number", "mobile")):
                return permanent(f"Numéro refusé par le fournisseur SMS Brevo ({detail}).")
            return permanent(f"SMS refusé par le fournisseur Brevo ({detail}).")
        if status == 401:
            return temporary(f"Clé d'API Brevo refusée ({detail}) : vérifiez BREVO_API_KEY.")
        if status == 402:
            return temporary(f"Crédit SMS Brevo épuisé ({detail}) : rechargez le compte.")
        if status == 403:
            return temporary(f"Brevo refuse l'accès à l'envoi de SMS ({detail}).")
        if status == 429:
            return temporary(f"Brevo limite le débit ({detail}).", backend_down=True)
        if status >= 500:
            return temporary(f"Brevo est indisponible ({detail}).", backend_down=True)
        return temporary(f"Réponse inattendue de Brevo ({detail}).")

    def send(self, copy: OutgoingCopy) -> SendResult:
        number = parse_number(copy.to, mobile=True)
        body: dict[str, Any] = {
            "sender": self.sender,
            "recipient": format_number(number, "international"),
            "content": copy.text,
            "type": "transactional",
            "tag": str(copy.delivery_id),
            "unicodeEnabled": copy.sms_unicode,
        }
        if copy.callback_url:
            body["webUrl"] = copy.callback_url
        answer = self._request("POST", "/transactionalSMS/send", body)
        message_id = answer.get("messageId") if isinstance(answer, dict) else None
        return SendResult(provider_id=str(message_id or "")[:120])

    def lookup(self, copy: OutgoingCopy) -> SendResult | None:
        query = urllib.parse.urlencode(
            {"limit": 1, "days": 90, "tags": json.dumps([str(copy.delivery_id)])}
        )
        try:
            answer = self._request("GET", f"/transactionalSMS/statistics/events?{query}")
        except DeliveryError as exc:
            # Not knowing is no licence to send twice: try again later.
            raise temporary(
                f"Vérification auprès de Brevo impossible avant un nouvel essai ({exc.reason})",
                backend_down=exc.backend_down,
                in_doubt=True,
            ) from exc
        events = answer.get("events") if isinstance(answer, dict) else None
        for event in events or []:
            if isinstance(event, dict) and str(event.get("tag", "")) == str(copy.delivery_id):
                return SendResult(provider_id=str(event.get("messageId", ""))[:120])
        return None
