"""Writes of the assist app."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import MarketplaceAccount
from assist.compliance.types import RULES
from assist.models import AccountComplianceSettings, ComplianceSettingsChange


@transaction.atomic
def compliance_settings_update(
    *,
    account: MarketplaceAccount,
    disabled_rules: frozenset[str] | set[str],
    changed_by: AbstractBaseUser | None,
) -> AccountComplianceSettings:
    """Switch rules off (and every other rule on) for one account, recording who did it."""
    unknown = set(disabled_rules) - set(RULES)
    if unknown:
        raise ValueError(f"Unknown compliance rules: {sorted(unknown)}")
    ordered = [rule for rule in RULES if rule in disabled_rules]
    settings, _created = AccountComplianceSettings.objects.update_or_create(
        account=account, defaults={"disabled_rules": ordered, "changed_by": changed_by}
    )
    ComplianceSettingsChange.objects.create(account=account, disabled_rules=ordered, changed_by=changed_by)
    return settings
