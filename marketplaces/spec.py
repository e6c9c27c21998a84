"""What differs between marketplaces, in one frozen value per marketplace.

Every module that needs a marketplace's labels, credential fields, limits, reply-window rules, the
marketplace part of the compliance rules or its push route reads them from its `MarketplaceSpec`
(`marketplaces.registry.spec_for`); no module but the registry compares a marketplace name.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.functional import Promise

from marketplaces.types import Capabilities

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    """What one reply may carry as a file. Empty `extensions` means the marketplace names no types."""

    supported: bool
    # Lower-case extensions with the dot, each mapped to the content type it must have.
    extensions: dict[str, str]
    max_bytes: int
    max_files: int
    # The marketplace takes the text and the file in one request (else the file is a message of its own).
    text_with_file: bool
    needs_extension: bool = False

    @property
    def accept(self) -> str:
        """The value of the file input's `accept` attribute ("" = any file)."""
        return ",".join([*self.extensions, *dict.fromkeys(self.extensions.values())])

    @property
    def max_megabytes(self) -> int:
        return self.max_bytes // MEGABYTE


NO_FILES = FileLimits(supported=False, extensions={}, max_bytes=0, max_files=0, text_with_file=False)


@dataclass(frozen=True)
class ReplyWindow:
    """When the marketplace itself refuses a seller message (DESIGN.md §13, "reply window")."""

    # Ozon: a seller may write only within this time after the buyer's last message.
    after_buyer_message: timedelta | None = None
    # Yandex Market: raw marketplace statuses (upper case) in which a chat takes no reply.
    closed_statuses: frozenset[str] = frozenset()
    # Why the window exists, shown in the chat pane (gettext_lazy).
    reason: str | Promise = ""
    # Yandex Market: raw chat types (upper case, the chat's `extras["type"]`) of disputes: the reply box
    # stays on, but the arbiter reads the answer, and the pane and the list say so with `arbiter_notice`.
    arbiter_chat_types: frozenset[str] = frozenset()
    arbiter_notice: str | Promise = ""

    def answered_to_arbiter(self, *, extras: Mapping[str, Any]) -> bool:
        return str(extras.get("type") or "").upper() in self.arbiter_chat_types


@dataclass(frozen=True)
class ComplianceRules:
    """The marketplace's own part of the pre-send check (DESIGN.md §14)."""

    # Link domains the marketplace allows (subdomains included).
    allowed_domains: tuple[str, ...] = ()
    # Wildberries forbids one-word answers.
    forbids_one_word: bool = False


@dataclass(frozen=True)
class CredentialSchema:
    """How one marketplace's credentials look beyond "every field present" (see accounts/credentials.py)."""

    # Shortest value that can be real, per field (shorter ones are typos or placeholders).
    min_lengths: Mapping[str, int] = field(default_factory=dict)
    # Fields that are decimal numbers (ids), each with the message shown when it is not one.
    digits: Mapping[str, str | Promise] = field(default_factory=dict)
    # Extra format checks on the cleaned values: field name -> error message (empty when valid).
    check: Callable[[Mapping[str, str]], dict[str, str]] | None = None
    # The non-secret cabinet id from cleaned credentials (Ozon Client-Id, YM businessId, WB seller id).
    external_id: Callable[[Mapping[str, str]], str] = lambda credentials: ""


@dataclass(frozen=True)
class MarketplaceSpec:
    name: str
    label: str | Promise
    short_label: str | Promise
    # Credential JSON keys, in the order a form shows them.
    credential_fields: tuple[str, ...]
    # Reply text limit in code points, per chat kind ("chat", "question"); `text_limit` when absent.
    text_limit: int
    text_limits_by_kind: dict[str, int] = field(default_factory=dict)
    file_limits: FileLimits = NO_FILES
    # Chat kinds whose reply endpoint takes no files (WB questions: PATCH /api/v1/questions is text only).
    kinds_without_files: frozenset[str] = frozenset()
    # Chat kinds that hold one answer, which a new reply replaces (WB questions: PATCH /api/v1/questions).
    single_answer_kinds: frozenset[str] = frozenset()
    reply_window: ReplyWindow = ReplyWindow()
    # The marketplace's own rule for how soon a buyer must be answered (WB: 10 days).
    answer_within: timedelta | None = None
    answer_within_reason: str | Promise = ""
    compliance: ComplianceRules = ComplianceRules()
    # URL name of the push receiver (None: the marketplace does not push).
    push_route: str | None = None
    # Hosts (subdomains included) the marketplace serves message attachments from by direct link.
    file_hosts: tuple[str, ...] = ()
    # Default polling interval chosen from the marketplace's limits (SYNC_INTERVAL_SECONDS overrides).
    sync_interval_seconds: int = 60
    # The marketplace has a "mark chat read" method.
    can_mark_read: bool = False
    credentials: CredentialSchema = CredentialSchema()
    # Push payload (parsed JSON object) -> whether it asks for a sync of the account (None: no pushes).
    push_requests_sync: Callable[[Mapping[str, Any]], bool] | None = None

    def text_limit_for(self, *, kind: str) -> int:
        return self.text_limits_by_kind.get(kind, self.text_limit)

    def file_limits_for(self, *, kind: str) -> FileLimits:
        if kind in self.kinds_without_files:
            return NO_FILES
        return self.file_limits


def capabilities_from(spec: MarketplaceSpec) -> Capabilities:
    """The connector's `capabilities`, read from its spec (one source for limits)."""
    return Capabilities(
        max_text_length=spec.text_limit,
        can_send_files=spec.file_limits.supported,
        can_mark_read=spec.can_mark_read,
        file_content_types=tuple(dict.fromkeys(spec.file_limits.extensions.values())),
        max_file_bytes=spec.file_limits.max_bytes,
    )
