"""Gérant roles created before the on-call rota existed get its right, as new ones do."""

from typing import Any

from django.db import migrations

ON_CALL = "MESSAGES / Astreinte"


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("tenancy", "Role")
    for role in Role.objects.filter(kind="gerant"):
        if ON_CALL not in role.permissions:
            role.permissions = [*role.permissions, ON_CALL]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0001_escalation"),
        ("tenancy", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
