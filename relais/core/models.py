"""The base every domain row stands on."""

import uuid

from django.db import models


class BaseModel(models.Model):
    """Opaque UUID primary key and a creation time: never a sequential id in a URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        abstract = True
