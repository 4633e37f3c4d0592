from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "relais.ui"
    label = "ui"
