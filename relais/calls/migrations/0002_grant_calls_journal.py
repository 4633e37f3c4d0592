"""Roles created before the calls existed get the journal's right, as new roles do by default:
superviseurs and gérants."""

from typing import Any

from django.db import migrations

JOURNAL = "APPELS / Journal"
GRANTS = {"superviseur": [JOURNAL], "gerant": [JOURNAL]}


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("tenancy", "Role")
    for role in Role.objects.filter(kind__in=list(GRANTS)):
        missing = [code for code in GRANTS[role.kind] if code not in role.permissions]
        if missing:
            role.permissions = [*role.permissions, *missing]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0001_calls"),
        ("tenancy", "0003_telephony_extension_and_secrets"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
