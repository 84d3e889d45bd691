from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "accord.inbound"
    label = "inbound"
