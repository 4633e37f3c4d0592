"""How a caller proves who it is: a bearer token, or the pages' session (with CSRF)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from relais.api.errors import ERROR_RESPONSES, ErrorOut
from relais.api.schemas import Text, local
from relais.audit.models import AuditEvent
from relais.audit.services import audit_record
from relais.audit.totp import second_factor_check
from relais.core.errors import NotFound, PermissionDenied, RelaisError
from relais.core.queries import Prepared, from_row
from relais.tenancy import permissions as perms
from relais.tenancy.access import access_user_by_id, parse_id
from relais.tenancy.models import ApiToken, Role, User

# last_used_at is informative: writing it on every call would cost an UPDATE per request.
TOUCH_EVERY = dt.timedelta(minutes=1)


class Unauthorized(RelaisError):
    status = 401


def _token_lookup(digest: Any) -> QuerySet[ApiToken]:
    """The token with its active user and the user's role, as values."""
    return ApiToken.objects.filter(digest=digest, user__is_active=True).values(
        "id",
        "last_used_at",
        "expires_at",
        *(f"user__{f.attname}" for f in User._meta.concrete_fields),
        *(f"user__role__{f.attname}" for f in Role._meta.concrete_fields),
    )


# Every API call starts with this lookup: compiled once (relais.core.queries.Prepared).
_TOKEN_LOOKUP = Prepared(_token_lookup)


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>`; only the token's hash is stored."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = (token or "").strip()
        if not token or len(token) > 200:
            return None
        found = _TOKEN_LOOKUP.rows((), ApiToken.hash(token))
        if not found:
            return None
        row = found[0]
        now = timezone.now()
        if row["expires_at"] is not None and row["expires_at"] <= now:
            return None
        user = from_row(User, row, "user__")
        if user.role_id is not None:
            user.role = from_row(Role, row, "user__role__")
        last_used_at = row["last_used_at"]
        if last_used_at is None or now - last_used_at >= TOUCH_EVERY:
            ApiToken.objects.filter(pk=row["id"]).update(last_used_at=now)
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The pages' session, for same-origin calls. Unsafe methods need the CSRF token
    (header `X-CSRFToken`), exactly as a form post would."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # The CSRF check comes after we know there is a logged-in user: an anonymous call
        # must answer 401, not 403.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if not key or user is None or not user.is_authenticated or not user.is_active:
            return None
        if self.csrf and check_csrf(request) is not None:
            raise PermissionDenied(
                "Jeton CSRF manquant ou invalide : envoyez l'en-tête X-CSRFToken."
            )
        return cast(User, user)


def current_user(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


# --- POST /auth/token ------------------------------------------------------------------------

router = Router(tags=["Authentification"])


class TokenIn(Schema):
    username: Text
    password: Text
    expires_in_days: int | None = Field(
        None, ge=1, le=365, description="Shorter than the default lifetime, if wanted."
    )
    otp: Text | None = Field(
        None, max_length=12, description="The 6-digit code, when the account has a second factor."
    )


class TokenOut(Schema):
    token: str
    id: str
    expires_at: dt.datetime


class TokenItem(Schema):
    id: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


class TokenList(Schema):
    items: list[TokenItem]


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Obtenir un jeton d'accès",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    """Exchange an e-mail (`username`) and password for a bearer token.

    Wrong credentials answer 401. After repeated failures for the same e-mail and address
    the account is locked for a while: 429, even with the right password.
    """
    user = authenticate(
        request=request,
        username=payload.username.strip().lower(),
        password=payload.password,
    )
    if user is None or not user.is_active:
        raise Unauthorized("Identifiant ou mot de passe incorrect.")
    second_factor_check(user=user, code=payload.otp, request=request)
    # A successful login, as for the pages: clears the failure count, records last_login.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    token, row = ApiToken.issue_row(user, days=payload.expires_in_days)
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.TOKEN_CREATED,
        target=f"token:{row.id}",
        detail={"expires_at": row.expires_at.isoformat() if row.expires_at else None},
        request=request,
    )
    return {"token": token, "id": str(row.id), "expires_at": local(row.expires_at)}


@router.delete(
    "/token",
    auth=BearerAuth(),
    response={204: None, 401: ErrorOut},
    summary="Révoquer le jeton utilisé",
)
def token_revoke(request: HttpRequest) -> Any:
    """Revokes the bearer token of this request (a logout): any later call with it gets 401.
    The user's other tokens stay valid."""
    header = request.headers.get("Authorization", "")
    token = header.partition(" ")[2].strip()
    user = current_user(request)
    found = ApiToken.objects.filter(digest=ApiToken.hash(token), user=user).first()
    if found is not None:
        token_revoke_row(user=user, token=found, request=request)
    return Status(204, None)


def token_revoke_row(*, user: User, token: ApiToken, request: HttpRequest) -> None:
    token_id, owner_id = token.id, token.user_id
    token.delete()
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.TOKEN_REVOKED,
        target=f"token:{token_id}",
        detail={"owner": str(owner_id)},
        request=request,
    )


def _may_manage_tokens_of_others(user: User) -> bool:
    return user.is_staff_user and user.has_right(perms.ROLES_EDIT)


TOKENS_USER = Query(
    None, description="Another user's tokens (gérant: « COMPTES / Rôles / Modification »)."
)


@router.get(
    "/tokens",
    auth=[BearerAuth(), SessionAuth()],
    response={200: TokenList, **ERROR_RESPONSES},
    summary="Lister mes jetons",
)
def tokens_list(
    request: HttpRequest,
    user: Text | None = TOKENS_USER,
) -> Any:
    """My API tokens that have not expired, newest first; the gérant may ask for a user of his
    permanence's with `?user=`."""
    me = current_user(request)
    owner = me
    if user:
        owner = access_user_by_id(me, user)
        if owner.pk != me.pk and not _may_manage_tokens_of_others(me):
            raise PermissionDenied()
    rows = ApiToken.objects.filter(user_id=owner.pk, expires_at__gt=timezone.now()).order_by(
        "-created_at"
    )[:200]
    return {
        "items": [
            {
                "id": str(t.id),
                "created_at": local(t.created_at),
                "last_used_at": local(t.last_used_at),
                "expires_at": local(t.expires_at),
            }
            for t in rows
        ]
    }


@router.delete(
    "/tokens/{token_id}",
    auth=[BearerAuth(), SessionAuth()],
    response={204: None, **ERROR_RESPONSES},
    summary="Révoquer un jeton",
)
def tokens_revoke(request: HttpRequest, token_id: str) -> Any:
    """Revokes one of my tokens, or (gérant) a token of a user of my permanence. Any other id
    answers 404."""
    me = current_user(request)
    token = (
        ApiToken.objects.filter(id=parse_id(token_id), user__permanence_id=me.permanence_id)
        .select_related("user")
        .first()
    )
    if token is None:
        raise NotFound("Jeton introuvable.")
    if token.user_id != me.pk and not _may_manage_tokens_of_others(me):
        raise PermissionDenied()
    token_revoke_row(user=me, token=token, request=request)
    return Status(204, None)
