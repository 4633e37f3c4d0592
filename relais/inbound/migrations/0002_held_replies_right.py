from django.db import migrations

RIGHT = "MESSAGES / Réponses à vérifier"


def grant(apps, schema_editor):
    Role = apps.get_model("tenancy", "Role")
    for role in Role.objects.filter(kind__in=["superviseur", "gerant"]):
        if RIGHT not in role.permissions:
            role.permissions = [*role.permissions, RIGHT]
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("tenancy", "Role")
    for role in Role.objects.all():
        if RIGHT in role.permissions:
            role.permissions = [p for p in role.permissions if p != RIGHT]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("inbound", "0001_inbound_replies"), ("tenancy", "0001_initial")]
    operations = [migrations.RunPython(grant, revoke)]
