"""Pre-send compliance check (DESIGN.md §14).

`compliance_check` needs no database; `compliance_check_for_chat` adds the account's switches and is imported
lazily so that the pure check stays importable before Django's app registry is ready.
"""

from typing import TYPE_CHECKING

from assist.compliance.check import compliance_check
from assist.compliance.types import RULES, SEVERITIES, CheckResult, Violation

if TYPE_CHECKING:
    from inbox.models import Chat


def compliance_check_for_chat(*, chat: "Chat", text: str) -> CheckResult:
    """The check for a reply in `chat`: its marketplace and kind, minus the rules its account switched off."""
    from assist.compliance.chat import compliance_check_for_chat as check_for_chat

    return check_for_chat(chat=chat, text=text)


__all__ = ["RULES", "SEVERITIES", "CheckResult", "Violation", "compliance_check", "compliance_check_for_chat"]
