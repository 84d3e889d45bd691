from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "accord.quality"
    label = "quality"
    verbose_name = "Quality"
