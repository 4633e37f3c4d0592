from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """PDF rendering. An app only so its templates (exports/…) are found."""

    name = "relais.exports"
    label = "exports"
