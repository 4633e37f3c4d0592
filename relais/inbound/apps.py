from django.apps import AppConfig


class InboundConfig(AppConfig):
    """Replies taken in: e-mail (IMAP, raw MIME, a provider's inbound webhook) and SMS."""

    name = "relais.inbound"
    label = "inbound"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported once the app registry is ready: the receiver reaches the models.
        from anymail.signals import inbound

        from relais.inbound.receivers import on_provider_inbound  # (the same reason)

        inbound.connect(on_provider_inbound, dispatch_uid="relais-inbound-provider")
