"""One row per running loop process: when it started, its last heartbeat and its last
completed pass. The task worker's lease and `/readyz` read them."""

from django.db import models

from accord.operations.choices import Loop


class ProcessBeat(models.Model):
    loop = models.CharField(max_length=20, choices=Loop.choices)
    # The worker's id: host, pid and a random part (a restarted pid is a new process).
    process = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()
    last_pass_at = models.DateTimeField(null=True, blank=True)
    last_report = models.TextField(blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["loop", "beat_at"], name="beat_loop_recent")]

    def __str__(self) -> str:
        return f"{self.loop} {self.process}"
