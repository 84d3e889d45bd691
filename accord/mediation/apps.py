from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "accord.mediation"
    label = "mediation"
