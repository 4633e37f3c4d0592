"""Writes on roles and people."""

from __future__ import annotations

from relais.audit.models import AuditEvent
from relais.audit.services import audit_record
from relais.core.errors import NotFound, ValidationFailed
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right
from relais.tenancy.models import Permanence, Role, User


def roles_ensure(*, permanence: Permanence) -> dict[str, Role]:
    """The three roles of a permanence, created with the default rights when missing."""
    roles = {role.kind: role for role in Role.objects.filter(permanence=permanence)}
    for kind, rights in perms.DEFAULT_ROLE_PERMISSIONS.items():
        if kind not in roles:
            roles[kind] = Role.objects.create(
                permanence=permanence, kind=kind, permissions=list(rights)
            )
    return roles


def role_set_permissions(*, user: User, role: Role, permissions: list[str]) -> Role:
    """A gérant changes which rights a role of his permanence holds."""
    if role.permanence_id != user.permanence_id:
        raise NotFound("Rôle introuvable.")
    require_right(user, perms.ROLES_EDIT)
    unknown = [code for code in permissions if code not in perms.CATALOGUE]
    if unknown:
        raise ValidationFailed.on("permissions", f"Droit inconnu : {unknown[0]}.")
    wanted = set(permissions) | perms.LOCKED.get(role.kind, set())
    before = list(role.permissions)
    role.permissions = [code for code in perms.CATALOGUE if code in wanted]
    role.save(update_fields=["permissions"])
    added = [code for code in role.permissions if code not in before]
    removed = [code for code in before if code not in role.permissions]
    if added or removed:
        audit_record(
            permanence_id=user.permanence_id,
            actor=user,
            kind=AuditEvent.RIGHTS_CHANGED,
            target=f"role:{role.kind}",
            detail={"added": added, "removed": removed},
        )
    return role
