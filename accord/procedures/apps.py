from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "accord.procedures"
    label = "procedures"
    verbose_name = "Procedures"

    def ready(self) -> None:
        # Load and validate every pack at start-up, so a broken pack stops the
        # process with the file and the fault instead of failing a case later.
        from accord.procedures.registry import registry

        registry()
