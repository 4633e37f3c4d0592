from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "relais.tenancy"
    label = "tenancy"
