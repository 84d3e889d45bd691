from django.db import migrations, models

from accord.cases.triggers import suspended


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_alter_event_kind")]

    # SQLite rebuilds cases_case to add a NOT NULL column (see accord.cases.triggers).
    operations = suspended(
        migrations.AddField(
            model_name="case",
            name="idempotency_fingerprint",
            field=models.CharField(blank=True, max_length=64),
        ),
    )
