"""Recording audit events. Details never carry secrets: callers pass names and ids, not values."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import HttpRequest

from audit.models import AuditEvent


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> AuditEvent:
    user = actor if actor is not None and actor.is_authenticated else None
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    return AuditEvent.objects.create(
        actor=user,
        actor_name=(user.get_username() if user is not None else actor_name)[:150],
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=str(target)[:300] if target is not None else "",
        details=details or {},
        ip_address=client_address(request),
    )
