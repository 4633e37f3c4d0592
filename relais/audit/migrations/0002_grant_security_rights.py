"""Gérant roles created before the traces existed get their two rights, as new roles do by
default: « SÉCURITÉ / Traces et consultations » and « SÉCURITÉ / Conservation, effacement et
accès »."""

from typing import Any

from django.db import migrations

RIGHTS = [
    "SÉCURITÉ / Traces et consultations",
    "SÉCURITÉ / Conservation, effacement et accès",
]


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("tenancy", "Role")
    for role in Role.objects.filter(kind="gerant"):
        missing = [code for code in RIGHTS if code not in role.permissions]
        if missing:
            role.permissions = [*role.permissions, *missing]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_traces_and_lifetimes"),
        ("tenancy", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
