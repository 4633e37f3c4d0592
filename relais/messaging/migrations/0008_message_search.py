"""Full-text search of messages: subject, body, contact name and replies (relais.messaging.search_sql)."""

from django.db import migrations, models

from relais.messaging import search_sql


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0007_message_call"),
        ("clients", "0003_instruction"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["permanence", "-last_activity_at", "-id"], name="msg_perm_activity"
            ),
        ),
        migrations.RunPython(search_sql.install, search_sql.uninstall),
    ]
