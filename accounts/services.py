"""Writes for marketplace accounts."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.credentials import credentials_external_id, credentials_validate
from accounts.models import MarketplaceAccount, SyncState
from audit.models import AuditEvent
from audit.services import audit_record
from marketplaces import registry


def account_create(
    *,
    marketplace: str,
    name: str,
    credentials: Any,
    members: Iterable[AbstractBaseUser] = (),
    check: bool = True,
    actor: AbstractBaseUser | None = None,
    actor_name: str = "",
) -> MarketplaceAccount:
    """Validate (and unless `check` is False, verify with the marketplace), then store a new account.

    Raises django ValidationError for a bad shape and marketplaces.errors.MarketplaceError when the
    marketplace refuses the credentials; nothing is saved in either case.
    """
    cleaned = credentials_validate(marketplace=marketplace, credentials=credentials)
    external_id = credentials_external_id(marketplace=marketplace, credentials=cleaned)
    notes = ""
    if check:
        info = registry.credentials_check(marketplace=marketplace, credentials=cleaned)
        if info is not None:
            external_id = info.external_id or external_id
            notes = "\n".join(info.notes)
    with transaction.atomic():
        account = MarketplaceAccount.objects.create(
            marketplace=marketplace, name=name, credentials=cleaned, external_id=external_id
        )
        account.members.set(list(members))
        SyncState.objects.create(account=account, capability_notes=notes)
        audit_record(
            actor=actor,
            actor_name=actor_name,
            action=AuditEvent.Action.CREDENTIALS_ADDED,
            target=account,
            details={"marketplace": marketplace, "fields": sorted(cleaned), "checked": check},
        )
    return account


def account_update(
    *,
    account: MarketplaceAccount,
    name: str | None = None,
    is_active: bool | None = None,
    credentials: Any | None = None,
    check: bool = True,
    actor: AbstractBaseUser | None = None,
) -> MarketplaceAccount:
    """Change an account; `credentials=None` keeps the stored secret."""
    update_fields: list[str] = ["updated_at"]
    notes: str | None = None
    if credentials is not None:
        cleaned = credentials_validate(marketplace=account.marketplace, credentials=credentials)
        account.external_id = credentials_external_id(marketplace=account.marketplace, credentials=cleaned)
        if check:
            info = registry.credentials_check(marketplace=account.marketplace, credentials=cleaned)
            if info is not None:
                account.external_id = info.external_id or account.external_id
                notes = "\n".join(info.notes)
        account.credentials = cleaned
        update_fields += ["credentials", "external_id"]
    if name is not None:
        account.name = name
        update_fields.append("name")
    if is_active is not None:
        account.is_active = is_active
        update_fields.append("is_active")
    with transaction.atomic():
        account.save(update_fields=update_fields)
        state, _created = SyncState.objects.get_or_create(account=account)
        if notes is not None:
            state.capability_notes = notes
            state.consecutive_failures = 0
            state.last_error = ""
            state.save(update_fields=["capability_notes", "consecutive_failures", "last_error"])
        # Names of what changed only: never the values of secrets.
        changed = [field for field in update_fields if field not in ("updated_at", "external_id")]
        if "credentials" in changed:
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CREDENTIALS_CHANGED,
                target=account,
                details={"checked": check},
            )
        if set(changed) - {"credentials"}:
            audit_record(
                actor=actor,
                action=AuditEvent.Action.ACCOUNT_CHANGED,
                target=account,
                details={"fields": sorted(set(changed) - {"credentials"})},
            )
    return account


def account_credentials_rotate() -> int:
    """Re-encrypt every account's credentials with the newest of FERNET_KEYS; returns the row count."""
    count = 0
    for account in MarketplaceAccount.objects.only("pk", "credentials").iterator():
        MarketplaceAccount.objects.filter(pk=account.pk).update(credentials=account.credentials)
        count += 1
    audit_record(
        actor=None,
        actor_name="rotate_credentials",
        action=AuditEvent.Action.CREDENTIALS_ROTATED,
        details={"accounts": count},
    )
    return count
