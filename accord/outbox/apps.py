from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "accord.outbox"
    label = "outbox"
