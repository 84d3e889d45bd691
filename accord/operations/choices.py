from django.db import models


class Loop(models.TextChoices):
    TASKS = "tasks", "task worker"
    SWEEP = "sweep", "deadline sweeper"
    OUTBOX = "outbox", "outbox worker"
    MAIL_LISTENER = "mail_listener", "mail listener"
