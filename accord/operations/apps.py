from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running Accord: the production supervisor (`manage.py serve`), the processes'
    heartbeats and last passes, the task worker's lease, health checks and logs."""

    name = "accord.operations"
    label = "operations"
    default_auto_field = "django.db.models.BigAutoField"
