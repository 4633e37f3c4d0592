from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "relais.messaging"
    label = "messaging"
