from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "relais.clients"
    label = "clients"
