from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "relais.escalation"
    label = "escalation"
    verbose_name = "Prise en compte et escalade"
