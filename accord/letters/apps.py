from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "accord.letters"
    label = "letters"
