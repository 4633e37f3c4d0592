from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "relais.audit"
    label = "audit"
    verbose_name = "Traces et durées de conservation"

    def ready(self) -> None:
        # Login, logout and failure signals are traced from here (relais.audit.signals), and
        # the tables this app purges register themselves (relais.audit.retention).
        from relais.audit import retention, signals  # noqa: F401

        retention.register_builtin()
