"""Permanences (tenants), their roles, and every login: staff and client users."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone

from relais.core.models import BaseModel
from relais.tenancy import permissions as perms

if TYPE_CHECKING:
    from relais.clients.models import Client


class Permanence(BaseModel):
    name = models.CharField("nom", max_length=120)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name = "permanence"

    def __str__(self) -> str:
        return self.name


class Role(BaseModel):
    """A staff role of one permanence; its rights are editable by a gérant."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=20, choices=list(perms.ROLE_LABELS.items()))
    permissions = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["permanence", "kind"], name="role_unique_kind")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return perms.ROLE_LABELS.get(self.kind, self.kind)


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A login. Staff users have a role; client users belong to one client."""

    STAFF = "staff"
    CLIENT = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="users")
    email = models.EmailField("e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=80)
    last_name = models.CharField("nom", max_length=80, blank=True)
    kind = models.CharField(max_length=10, choices=[(STAFF, "Collaborateur"), (CLIENT, "Client")])
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.PROTECT)
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="users",
    )
    mobile = models.CharField("mobile", max_length=20, blank=True)
    # How the telephone system names this operator (an extension or a PBX login): the CTI
    # webhook's `user[]` and `answeringNumber` match it, the e-mail or the e-mail's local part.
    extension = models.CharField("poste téléphonique", max_length=40, blank=True)
    is_active = models.BooleanField(default=True)  # type: ignore[misc]
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "utilisateur"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="staff", client__isnull=True, role__isnull=False))
                | (models.Q(kind="client", client__isnull=False, role__isnull=True)),
                name="user_kind_consistent",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_staff_user(self) -> bool:
        return self.kind == self.STAFF

    @property
    def is_client_user(self) -> bool:
        return self.kind == self.CLIENT

    @property
    def role_label(self) -> str:
        if self.role is not None:
            return self.role.label
        return "Compte client"

    def has_right(self, code: str) -> bool:
        """Staff rights come from the role. Client users hold no staff right."""
        return self.role is not None and code in self.role.permissions

    @property
    def rights(self) -> list[str]:
        return list(self.role.permissions) if self.role is not None else []

    @property
    def own_client(self) -> Client | None:
        return self.client if self.is_client_user else None


class ApiToken(BaseModel):
    """A bearer token for the API; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Past this instant the token answers 401 (RELAIS_API_TOKEN_DAYS after its creation unless
    # asked shorter).
    expires_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, *, days: int | None = None) -> str:
        return cls.issue_row(user, days=days)[0]

    @classmethod
    def issue_row(cls, user: User, *, days: int | None = None) -> tuple[str, ApiToken]:
        """A new token (shown once) and its row."""
        lifetime = days or int(getattr(settings, "RELAIS_API_TOKEN_DAYS", 90))
        token = secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user,
            digest=cls.hash(token),
            expires_at=timezone.now() + dt.timedelta(days=lifetime),
        )
        return token, row
        cls.objects.create(user=user, digest=cls.hash(token))
        return token


class IntegrationSecrets(BaseModel):
    """The permanence's secrets for the systems that call Relais: the telephone system
    (`/api/v1/cti/<cti_token>`) and the replies taken in by e-mail and SMS
    (`/api/v1/inbound/…/<inbound_token>`). Shown to the gérant, who copies and regenerates
    them; an old token answers 404 from the moment it is replaced."""

    permanence = models.OneToOneField(
        Permanence, on_delete=models.CASCADE, related_name="integration_secrets"
    )
    cti_token = models.CharField(max_length=64, unique=True)
    inbound_token = models.CharField(max_length=64, unique=True)

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)
