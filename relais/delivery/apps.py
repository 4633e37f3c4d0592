from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "relais.delivery"
    label = "delivery"

    def ready(self) -> None:
        # Loaded with the app, not on the first copy: a worker that forks per job (rqworker)
        # would otherwise import the worker, backends and templates again for every job.
        from django.template.loader import get_template

        import relais.delivery.worker  # noqa: F401

        for name in ("delivery/email/message.txt", "delivery/email/message.html"):
            get_template(name)
