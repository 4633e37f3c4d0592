from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "relais.planning"
    label = "planning"
    verbose_name = "Planning"
