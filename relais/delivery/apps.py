from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "relais.delivery"
    label = "delivery"
