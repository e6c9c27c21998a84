"""Reads of the assist app."""

from assist.compliance.types import RULES
from assist.models import AccountComplianceSettings


def compliance_disabled_rules_for_account(*, account_id: int) -> frozenset[str]:
    stored = (
        AccountComplianceSettings.objects.filter(account_id=account_id)
        .values_list("disabled_rules", flat=True)
        .first()
    )
    return frozenset(rule for rule in stored or () if rule in RULES)
