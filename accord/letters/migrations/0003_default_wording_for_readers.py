from django.db import migrations


def load_defaults(apps, schema_editor):
    # The defaults now leave the greeting and the signatory to the layout, say what
    # happens next in the reader's words and signpost a body only once it is open to
    # the complainant: a new version of each changed default.
    from accord.letters.defaults import ensure_default_templates

    ensure_default_templates(apps.get_model("letters", "LetterTemplate"))


class Migration(migrations.Migration):
    dependencies = [("letters", "0002_sent_letters_are_kept_and_defaults")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
