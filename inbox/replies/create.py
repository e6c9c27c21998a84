"""The one entry point for every reply (web inbox, API, and later Telegram and templates): `reply_create`.

It validates the text and the file against the marketplace's spec, runs the pre-send check
(`reply_text_check`), stores the outgoing rows (one per marketplace call) and enqueues their delivery
when the surrounding transaction commits.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from inbox.models import Chat, Message, OutgoingFile
from inbox.replies.deliver import message_delivery_enqueue
from inbox.replies.files import ReplyFile, reply_file_attachments, reply_file_limits_for, reply_files_validate
from inbox.replies.sent import chat_answers, chat_holds_one_answer
from inbox.selectors import chat_reply_block
from marketplaces.registry import MARKETPLACE_SPECS

DEFAULT_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class TextViolation:
    """One finding of the pre-send check (DESIGN.md §14): offsets are code points into the text."""

    rule: str
    severity: str  # "block" | "warn"
    message: str
    start: int
    end: int


class ComplianceRefusedError(ValidationError):
    """The pre-send check refused the text; `violations` keeps the findings for the API and the UI."""

    def __init__(self, violations: list[TextViolation]) -> None:
        super().__init__({"compliance": [violation.message for violation in violations]})
        self.violations = violations


def reply_text_limit(*, chat: Chat) -> int:
    spec = MARKETPLACE_SPECS.get(chat.account.marketplace)
    return DEFAULT_TEXT_LIMIT if spec is None else spec.text_limit_for(kind=chat.kind)


def reply_text_check(*, chat: Chat, text: str) -> list[TextViolation]:
    """The pre-send compliance check of a reply's text (DESIGN.md §14), with the account's switches.

    Every reply passes here before anything is queued, whatever its source (inbox, API, Telegram,
    templates, AI drafts). Offsets are code points into `text` as given.
    """
    from assist.compliance import compliance_check_for_chat

    result = compliance_check_for_chat(chat=chat, text=text)
    return [
        TextViolation(
            rule=violation.rule,
            severity=violation.severity,
            message=str(violation.message),
            start=violation.start,
            end=violation.end,
        )
        for violation in result.violations
    ]


def reply_text_validate(*, chat: Chat, text: str, allow_empty: bool = False) -> str:
    """The text to send, or ValidationError keyed "text" (empty, or longer than the marketplace allows).

    `allow_empty`: the reply carries a file, so it needs no text.
    """
    cleaned = text.strip()
    if not cleaned and not allow_empty:
        raise ValidationError({"text": _("Write a reply first.")})
    limit = reply_text_limit(chat=chat)
    if len(cleaned) > limit:
        raise ValidationError(
            {
                "text": _(
                    "The reply is %(length)s characters long; this marketplace accepts at most %(limit)s."
                )
                % {"length": len(cleaned), "limit": limit}
            }
        )
    return cleaned


def _compliance_enforce(*, chat: Chat, text: str, override_warnings: bool) -> list[TextViolation]:
    """The warnings an agent chose to send anyway; raises ComplianceRefusedError for anything else."""
    violations = reply_text_check(chat=chat, text=text)
    if not violations:
        return []
    if override_warnings and all(violation.severity == "warn" for violation in violations):
        return violations
    raise ComplianceRefusedError(violations)


def _placeholders_refuse(*, text: str) -> None:
    """A template variable left in the text would reach the buyer as "{{заказ}}": refuse it."""
    from assist.variables import template_placeholders_left

    left = template_placeholders_left(text=text)
    if left:
        raise ValidationError(
            {
                "text": _("Fill in %(names)s before sending.")
                % {"names": ", ".join(f"{{{{{name}}}}}" for name in left)}
            }
        )


def reply_form_notice(*, chat: Chat) -> str:
    """A line for the reply box: sending replaces the chat's one answer (WB questions), else "".

    The connector keeps the marketplace's own `editable` flag of the answer in the chat's extras.
    """
    if not chat_holds_one_answer(chat=chat) or not chat_answers(chat=chat):
        return ""
    if (chat.extras or {}).get("answer_editable") is False:
        return _("This question already has an answer, and the marketplace no longer allows changing it.")
    return _("This question already has an answer: sending replaces it (the marketplace keeps one answer).")


def message_send(
    *, chat: Chat, user: AbstractBaseUser | None, text: str, file: ReplyFile | None = None
) -> Message:
    """Store one outgoing row in `pending`; its delivery is enqueued when the transaction commits."""
    with transaction.atomic():
        message = Message.objects.create(
            chat=chat,
            direction=Message.Direction.OUT,
            author=Message.Author.SELLER,
            sent_by=user,
            text=text,
            attachments=reply_file_attachments(file=file) if file is not None else [],
            created_at=timezone.now(),
            is_read=True,
            delivery_status=Message.DeliveryStatus.PENDING,
        )
        if file is not None:
            OutgoingFile.objects.create(
                message=message,
                name=file.name,
                content_type=file.content_type,
                size=file.size,
                content=file.content,
            )
    # robust: the reply is stored; with the broker down the sweep enqueues it again (LOST_TASK_AFTER)
    # instead of the request failing after the commit (a user who sends again would reply twice).
    transaction.on_commit(lambda: message_delivery_enqueue(message_id=message.pk), robust=True)
    return message


def reply_queue(*, chat: Chat, user: AbstractBaseUser | None, text: str, file: ReplyFile | None) -> Message:
    """Queue a validated reply as one row per marketplace call, each delivered and reconciled on its own.

    Where the marketplace takes text and file in one request (WB), that is one row; elsewhere (Ozon,
    Yandex Market) the text goes first as a row of its own, as the buyer will see it. Returns the row
    carrying the file, if any.
    """
    if file is None:
        return message_send(chat=chat, user=user, text=text)
    if text and not reply_file_limits_for(chat=chat).text_with_file:
        message_send(chat=chat, user=user, text=text)
        text = ""
    return message_send(chat=chat, user=user, text=text, file=file)


def _reply_window_enforce(*, chat: Chat) -> None:
    """ValidationError keyed "text" with the reason while the marketplace takes no reply in the chat."""
    blocked = chat_reply_block(chat=chat)
    if blocked is not None:
        raise ValidationError({"text": [blocked]})


def reply_create(
    *,
    chat: Chat,
    user: AbstractBaseUser | None,
    text: str,
    idempotency_key: uuid.UUID | None,
    files: Sequence[UploadedFile] = (),
    override_warnings: bool = False,
) -> tuple[Message, bool]:
    """Queue a reply unless one with the same idempotency key exists; returns (message, created).

    A double click or a retried request carries the same key, so the buyer never gets the reply twice.
    With a file, the returned message is the one carrying it (see reply_queue). Raises ValidationError
    keyed "text", "file" or "idempotency_key", or ComplianceRefusedError (keyed "compliance").
    """
    # A retry of a request that was taken gets its reply back before any check: the chat may refuse a
    # new reply by now (its window closed), and a refusal would tell the client the reply was not sent.
    if idempotency_key is not None:
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _existing_for_chat(chat=chat, message=existing), False
    _reply_window_enforce(chat=chat)
    file = reply_files_validate(chat=chat, uploads=files)
    # A reply that is only a file has no text to check; any other text is checked as it was given.
    if text.strip() or file is None:
        _placeholders_refuse(text=text)
        overridden = _compliance_enforce(chat=chat, text=text, override_warnings=override_warnings)
    else:
        overridden = []
    cleaned = reply_text_validate(chat=chat, text=text, allow_empty=file is not None)
    try:
        with transaction.atomic():
            message = reply_queue(chat=chat, user=user, text=cleaned, file=file)
            if idempotency_key is not None:
                Message.objects.filter(pk=message.pk).update(idempotency_key=idempotency_key)
                message.idempotency_key = idempotency_key
            audit_record(
                actor=user,
                action=AuditEvent.Action.REPLY_SENT,
                target=message,
                details={"chat": chat.pk, "file": file is not None},
            )
            if overridden:
                audit_record(
                    actor=user,
                    action=AuditEvent.Action.COMPLIANCE_OVERRIDDEN,
                    target=message,
                    details={"chat": chat.pk, "rules": sorted({violation.rule for violation in overridden})},
                )
    except IntegrityError:
        # A concurrent request with the same key won; its row (and its delivery) is the one.
        existing = Message.objects.get(idempotency_key=idempotency_key)
        return _existing_for_chat(chat=chat, message=existing), False
    return message, True


def _existing_for_chat(*, chat: Chat, message: Message) -> Message:
    if message.chat_id != chat.pk:
        raise ValidationError({"idempotency_key": _("This form was already used for another chat.")})
    return message


def message_retry(*, message: Message, user: AbstractBaseUser | None) -> Message:
    """Put a failed reply back in the queue (an agent pressed "retry").

    Refused like a new reply (ValidationError keyed "text") once the marketplace takes no reply in the
    chat: the reply would only fail again, or reach a buyer the marketplace no longer lets us answer.
    """
    _reply_window_enforce(chat=message.chat)
    updated = Message.objects.filter(pk=message.pk, delivery_status=Message.DeliveryStatus.FAILED).update(
        delivery_status=Message.DeliveryStatus.PENDING,
        last_error="",
        last_error_detail="",
        next_attempt_at=None,
    )
    if updated:
        transaction.on_commit(lambda: message_delivery_enqueue(message_id=message.pk), robust=True)
    message.refresh_from_db()
    return message
