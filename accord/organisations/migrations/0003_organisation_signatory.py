from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organisations", "0002_closures_published_through")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="signatory_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="organisation",
            name="signatory_role",
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
