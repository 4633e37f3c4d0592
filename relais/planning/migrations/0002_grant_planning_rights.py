"""Roles created before the planning existed get its rights, as new roles do by default:
opérateurs and superviseurs see and book appointments, gérants also manage the motifs."""

from typing import Any

from django.db import migrations

VIEW = "PLANNING / Semaine / Planning avec rendez-vous"
ADD = "PLANNING / Rendez-vous / Ajout rendez-vous"
TYPES = "PLANNING / Motifs de rendez-vous"
GRANTS = {"operateur": [VIEW, ADD], "superviseur": [VIEW, ADD], "gerant": [VIEW, ADD, TYPES]}


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("tenancy", "Role")
    for role in Role.objects.filter(kind__in=list(GRANTS)):
        missing = [code for code in GRANTS[role.kind] if code not in role.permissions]
        if missing:
            role.permissions = [*role.permissions, *missing]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0001_initial"),
        ("tenancy", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
