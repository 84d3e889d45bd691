from django.db import migrations, models

from accord.cases.triggers import suspended


class Migration(migrations.Migration):
    dependencies = [("cases", "0018_complainant_link_generation")]

    # SQLite rebuilds cases_case to add NOT NULL columns (see accord.cases.triggers).
    operations = suspended(
        migrations.AddField(
            model_name="case",
            name="letters_owed",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="case",
            name="language",
            field=models.CharField(default="en", max_length=12),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("letters_owed__gt", 0)),
                fields=["organisation", "next_deadline_at", "id"],
                name="case_letters_owed",
            ),
        ),
    )
