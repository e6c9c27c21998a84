"""The check for a reply in a given chat: the chat's marketplace, kind and its account's switches."""

from typing import TYPE_CHECKING

from assist.compliance.check import compliance_check
from assist.compliance.types import CheckResult
from assist.selectors import compliance_disabled_rules_for_account

if TYPE_CHECKING:
    from inbox.models import Chat


def compliance_check_for_chat(*, chat: "Chat", text: str) -> CheckResult:
    return compliance_check(
        text=text,
        marketplace=chat.account.marketplace,
        kind=chat.kind,
        disabled_rules=compliance_disabled_rules_for_account(account_id=chat.account_id),
    )
