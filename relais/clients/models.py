"""Clients (dossiers), their companies and circles, sharing rules and contacts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from relais.core.models import BaseModel
from relais.core.phones import display_phone, phone_search_digits
from relais.core.text import fold
from relais.tenancy.models import Permanence


class Company(BaseModel):
    """A compagnie: several clients of one group. Its circle receives "Copie cercle compagnie"."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="companies")
    name = models.CharField("nom", max_length=120)
    circle = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="company_circles"
    )

    class Meta:
        verbose_name = "compagnie"

    def __str__(self) -> str:
        return self.name


class Client(BaseModel):
    """A business the permanence answers for: the dossier client."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField("nom", max_length=160)
    trade = models.CharField("activité", max_length=120, blank=True)
    email = models.EmailField("e-mail", blank=True)
    mobile = models.CharField("mobile", max_length=20, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    fax = models.CharField("fax", max_length=20, blank=True)
    address = models.CharField("adresse", max_length=255, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="clients"
    )
    # Paramètres du compte / Message
    default_copy_email = models.BooleanField("notifier par e-mail", default=False)
    default_copy_sms = models.BooleanField("notifier par SMS", default=False)
    default_copy_fax = models.BooleanField("notifier par fax", default=False)
    message_info = models.CharField("message infos", max_length=80, blank=True)
    default_template = models.ForeignKey(
        "messaging.MessageTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Acknowledgement and escalation (relais.escalation): which messages ask for « Pris en
    # compte » ("urgent", "all", "none"), the escalation steps ({steps, final_alert,
    # final_after_minutes}) and the on-call rota ({weekly, exceptions}), read with the client.
    ack_required = models.CharField("prise en compte demandée", max_length=6, default="urgent")
    escalation = models.JSONField("escalade des urgences", default=dict, blank=True)
    on_call = models.JSONField("astreinte", default=dict, blank=True)
    # Levée de fiche par défaut: the page an answered call opens (relais.calls).
    SCREEN_POP_MESSAGES = "messages"
    SCREEN_POPS = [
        (SCREEN_POP_MESSAGES, "Messages"),
        ("planning", "Planning"),
        ("contacts", "Contacts"),
        ("instructions", "Instructions"),
    ]
    screen_pop = models.CharField(
        "levée de fiche par défaut",
        max_length=20,
        choices=SCREEN_POPS,
        default=SCREEN_POP_MESSAGES,
    )
    search_text = models.CharField(max_length=400, editable=False, default="")
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        through="ClientShare",
        related_name="shared_clients",
    )

    class Meta:
        verbose_name = "client"
        ordering = ["name"]
        indexes = [models.Index(fields=["permanence", "name"], name="client_perm_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = (
            fold(f"{self.name} {self.trade}")
            + " "
            + phone_search_digits(self.mobile)
            + " "
            + phone_search_digits(self.phone)
        )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def mobile_display(self) -> str:
        return display_phone(self.mobile)

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def fax_display(self) -> str:
        return display_phone(self.fax)


class ClientNumber(BaseModel):
    """A numéro dédié: a line forwarded to the permanence for this client. The called number
    of a call picks the client, so a number belongs to one client of a permanence."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="numbers")
    number = models.CharField("numéro", max_length=20)

    class Meta:
        verbose_name = "numéro dédié"
        ordering = ["created_at", "number"]
        constraints = [
            models.UniqueConstraint(fields=["permanence", "number"], name="clientnumber_unique")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def display(self) -> str:
        return display_phone(self.number)


class ClientShare(BaseModel):
    """Partage de messages: this user also sees the client's (non-private) messages."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_shares"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="clientshare_unique")
        ]


class Contact(BaseModel):
    """A caller in a client's contact book."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("nom", max_length=160)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    phone2 = models.CharField("autre téléphone", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    note = models.TextField("note", blank=True, max_length=2000)
    search_text = models.CharField(max_length=400, editable=False, default="")

    class Meta:
        verbose_name = "contact"
        ordering = ["name"]
        indexes = [models.Index(fields=["client", "name"], name="contact_client_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = self.build_search_text()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def build_search_text(self) -> str:
        return " ".join(
            part
            for part in (
                fold(self.name),
                fold(self.email),
                phone_search_digits(self.phone),
                phone_search_digits(self.phone2),
            )
            if part
        )

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def phone2_display(self) -> str:
        return display_phone(self.phone2)


class Instruction(BaseModel):
    """A client's standing instruction ("Jamais de RDV le mercredi"), for staff only.

    Where it shows is its visibility: in the composer (Message), on the agenda (Agenda), when
    a call sheet is taken (Levée de fiche)."""

    MESSAGE = "message"
    AGENDA = "agenda"
    SHEET = "sheet"
    VISIBILITIES = [(MESSAGE, "Message"), (AGENDA, "Agenda"), (SHEET, "Levée de fiche")]

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="instructions")
    text = models.TextField("instruction", max_length=1000)
    show_message = models.BooleanField("Message", default=True)
    show_agenda = models.BooleanField("Agenda", default=False)
    show_sheet = models.BooleanField("Levée de fiche", default=False)

    class Meta:
        verbose_name = "instruction"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["client", "created_at"], name="instruction_client")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def visibility_labels(self) -> list[str]:
        flags = {
            self.MESSAGE: self.show_message,
            self.AGENDA: self.show_agenda,
            self.SHEET: self.show_sheet,
        }
        return [label for code, label in self.VISIBILITIES if flags[code]]
