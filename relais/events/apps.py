from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "relais.events"
    label = "events"
