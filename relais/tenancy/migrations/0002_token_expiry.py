"""API tokens get an expiry; those issued before it expire 90 days from the migration."""

import datetime as dt
from typing import Any

from django.db import migrations, models
from django.utils import timezone


def expire_existing(apps: Any, schema_editor: Any) -> None:
    ApiToken = apps.get_model("tenancy", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + dt.timedelta(days=90)
    )


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(expire_existing, migrations.RunPython.noop),
    ]
