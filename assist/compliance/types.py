"""The values the compliance check returns and its fixed rule codes (DESIGN.md §14)."""

from dataclasses import asdict, dataclass

from django.utils.translation import gettext_lazy as _

BLOCK = "block"
WARN = "warn"

CONTACT_PHONE = "contact_phone"
CONTACT_EMAIL = "contact_email"
CONTACT_LINK = "contact_link"
CONTACT_MESSENGER = "contact_messenger"
CANCEL_ORDER = "cancel_order"
PERSONAL_DATA_REQUEST = "personal_data_request"
PROFANITY = "profanity"
MARKETPLACE_DISPARAGEMENT = "marketplace_disparagement"
TOO_LONG = "too_long"
TOO_SHORT = "too_short"
EMPTY = "empty"

SEVERITIES: dict[str, str] = {
    CONTACT_PHONE: BLOCK,
    CONTACT_EMAIL: BLOCK,
    CONTACT_LINK: BLOCK,
    CONTACT_MESSENGER: BLOCK,
    CANCEL_ORDER: BLOCK,
    PERSONAL_DATA_REQUEST: BLOCK,
    PROFANITY: BLOCK,
    MARKETPLACE_DISPARAGEMENT: WARN,
    TOO_LONG: BLOCK,
    TOO_SHORT: WARN,
    EMPTY: BLOCK,
}
RULES: tuple[str, ...] = tuple(SEVERITIES)

RULE_LABELS = {
    CONTACT_PHONE: _("Phone numbers"),
    CONTACT_EMAIL: _("E-mail addresses"),
    CONTACT_LINK: _("Links to other sites"),
    CONTACT_MESSENGER: _("Messengers and social networks"),
    CANCEL_ORDER: _("Asking to cancel an order"),
    PERSONAL_DATA_REQUEST: _("Asking for personal data"),
    PROFANITY: _("Profanity and insults"),
    MARKETPLACE_DISPARAGEMENT: _("Negative remarks about marketplaces or sellers"),
    TOO_LONG: _("Text longer than the marketplace allows"),
    TOO_SHORT: _("One-word answers"),
    EMPTY: _("Empty text"),
}

MESSAGES = {
    CONTACT_PHONE: _("Phone numbers must not be sent to buyers"),
    CONTACT_EMAIL: _("E-mail addresses must not be sent to buyers"),
    CONTACT_LINK: _("Only links to the marketplace's own site are allowed"),
    CONTACT_MESSENGER: _("Inviting the buyer to a messenger or social network is forbidden"),
    CANCEL_ORDER: _("Asking the buyer to cancel or refuse an order is forbidden"),
    PERSONAL_DATA_REQUEST: _("Asking the buyer for personal data is forbidden"),
    PROFANITY: _("Profanity and insults are forbidden"),
    MARKETPLACE_DISPARAGEMENT: _("Negative remarks about a marketplace or other sellers"),
    TOO_LONG: _("The text is longer than the marketplace allows"),
    TOO_SHORT: _("The marketplace forbids one-word answers"),
    EMPTY: _("The text is empty"),
}


@dataclass(frozen=True)
class Violation:
    rule: str
    severity: str
    # Russian (or the active language's) explanation for the agent.
    message: str
    # Unicode code-point offsets into the text as given: text[start:end] is the offending span.
    start: int
    end: int


@dataclass(frozen=True)
class CheckResult:
    allowed: bool
    violations: tuple[Violation, ...]

    @property
    def has_warnings(self) -> bool:
        return any(violation.severity == WARN for violation in self.violations)

    def violations_json(self) -> list[dict[str, str | int]]:
        """The violations as the API shows them (the check endpoint and the send endpoint's 400 alike)."""
        return [asdict(violation) for violation in self.violations]


@dataclass(frozen=True)
class Span:
    """A detector's raw finding before messages and severities are attached."""

    rule: str
    start: int
    end: int
