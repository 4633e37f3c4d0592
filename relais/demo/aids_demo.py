"""Demo: the message templates written with placeholders ({client}, {contact}, {date},
{operateur}), so the composer shows them filled in; and Horizon's own small set of aids.

Idempotent like the rest of the demo: a template is rewritten only while it still holds the
plain text relais.demo.data gave it (a gérant's own edits are never overwritten), and what
exists already is left as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from relais.clients.models import Client, Instruction
from relais.demo.data import azur
from relais.messaging.models import Banner, InputPhrase, MessageTemplate
from relais.tenancy.models import Permanence

if TYPE_CHECKING:
    from relais.demo.seed import SeedReport

# Azur's templates by name: (subject, body) with placeholders.
AZUR_TEMPLATES: dict[str, tuple[str, str]] = {
    "Rappel patient": (
        "Rappel patient : {contact}",
        "{contact} a appelé le {date} et demande à être rappelé(e).\n"
        "Motif de l'appel : \nDisponibilités : \n— {operateur}",
    ),
    "Demande de rendez-vous": (
        "Demande de rendez-vous : {contact}",
        "{contact} souhaite un rendez-vous avec {client}.\nMotif : \nDisponibilités : \n"
        "— {operateur}",
    ),
    "Urgence dégât des eaux": (
        "URGENCE – dégât des eaux chez {contact}",
        "Fuite signalée le {date} par {contact}.\nAdresse exacte et étage : \n"
        "L'eau est-elle coupée : \nVoisins touchés : \n— {operateur}",
    ),
    "Visite à domicile": (
        "Demande de VAD : {contact}",
        "{contact} demande une visite à domicile.\nAdresse, étage et code d'accès : \n"
        "Motif : \n— {operateur}, le {date}",
    ),
    "Information au cabinet": (
        "Information pour tout le cabinet",
        "Information à transmettre à l'ensemble des praticiens de {client} : \n— {operateur}",
    ),
}

HORIZON_TEMPLATE = {
    "name": "Réservation de transport",
    "subject": "Réservation : {contact}",
    "body": "{contact} souhaite réserver un transport.\nDate et heure de prise en charge : \n"
    "Adresse de départ : \nDestination : \nBon de transport : oui / non\n— {operateur}",
    "consigne": "Demander si le transport est conventionné (bon de transport).",
}
HORIZON_PHRASES = [
    "Le client rappellera pour confirmer.",
    "Prise en charge à l'heure indiquée, merci de confirmer.",
]
HORIZON_INSTRUCTION = (
    "Taxis Horizon Provence",
    "Jamais de réservation ferme sans numéro de téléphone du passager.",
)
HORIZON_BANNER = "Nouvelle grille tarifaire des taxis à partir du 1er du mois."


def aids_demo_seed(report: SeedReport) -> None:
    """Adds what is missing; a second run changes nothing."""
    perm = Permanence.objects.filter(slug="azur").first()
    if perm is not None:
        original = {t.name: (t.subject, t.body) for t in azur(timezone.localdate()).templates}
        for template in MessageTemplate.objects.filter(
            permanence=perm, name__in=list(AZUR_TEMPLATES)
        ):
            wanted = AZUR_TEMPLATES[template.name]
            if (template.subject, template.body) == original.get(template.name):
                template.subject, template.body = wanted
                template.save(update_fields=["subject", "body"])
                report.add("templates with placeholders")

    horizon = Permanence.objects.filter(slug="horizon").first()
    if horizon is None:
        return
    _, created = MessageTemplate.objects.get_or_create(
        permanence=horizon,
        name=HORIZON_TEMPLATE["name"],
        defaults={k: v for k, v in HORIZON_TEMPLATE.items() if k != "name"},
    )
    report.add("templates", int(created))
    for position, text in enumerate(HORIZON_PHRASES, start=1):
        _, created = InputPhrase.objects.get_or_create(
            permanence=horizon, text=text, defaults={"position": position}
        )
        report.add("phrases", int(created))
    client = Client.objects.filter(permanence=horizon, name=HORIZON_INSTRUCTION[0]).first()
    if client is not None:
        _, created = Instruction.objects.get_or_create(
            permanence=horizon, client=client, text=HORIZON_INSTRUCTION[1]
        )
        report.add("instructions", int(created))
    _, created = Banner.objects.get_or_create(permanence=horizon, text=HORIZON_BANNER)
    report.add("banners", int(created))
