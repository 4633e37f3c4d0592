"""E-mail-to-SMS and e-mail-to-fax gateways: the copy is an e-mail to <number>@<domain>.

Many French operators and fax services offer such a gateway; it needs nothing but the SMTP
settings already used for e-mail copies. The SMS gateway gets the SMS text as a plain-text
e-mail; the fax gateway gets the PDF of the message as an attachment.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from relais.delivery.backends.base import OutgoingCopy, format_number, parse_number, permanent
from relais.delivery.backends.email import DjangoMailBackend


class _GatewayBackend(DjangoMailBackend):
    mobile = False
    domain_setting = ""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.domain = str(options.get("domain") or getattr(settings, self.domain_setting, ""))
        self.domain = self.domain.strip()
        self.number_format = options.get("number_format") or settings.RELAIS_GATEWAY_NUMBER_FORMAT

    def address(self, copy: OutgoingCopy) -> str:
        number = parse_number(copy.to, mobile=self.mobile)
        if not self.domain:
            raise permanent(
                f"Passerelle non configurée : renseignez {self.domain_setting} "
                "(domaine de la passerelle)."
            )
        return f"{format_number(number, self.number_format)}@{self.domain}"


class EmailToSMSBackend(_GatewayBackend):
    name = "email-gateway"
    mobile = True
    domain_setting = "RELAIS_SMS_GATEWAY_DOMAIN"

    def build(self, copy: OutgoingCopy, address: str) -> Any:
        # The gateway turns the e-mail's text into the SMS: no HTML, no subject line to pay for.
        text_only = OutgoingCopy(
            delivery_id=copy.delivery_id,
            permanence_id=copy.permanence_id,
            channel=copy.channel,
            to=copy.to,
            subject=self.options.get("subject", ""),
            text=copy.text,
            from_email=copy.from_email,
            headers=dict(copy.headers),
        )
        return super().build(text_only, address)


class EmailToFaxBackend(_GatewayBackend):
    name = "email-gateway"
    mobile = False
    domain_setting = "RELAIS_FAX_GATEWAY_DOMAIN"

    def send(self, copy: OutgoingCopy) -> Any:
        if not copy.attachments:
            raise permanent("Le fax n'a pas de document à envoyer.")
        return super().send(copy)
