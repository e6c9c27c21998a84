"""Is a marketplace message the echo of one of our replies? Bind it to our row instead of adding a copy.

Two callers: ingest (`replies_reconcile`, for the seller messages a sync page brings) and the sweep
(`reply_check`, for the newest messages of one chat, asked for to settle an `unknown` reply).
"""

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from inbox.models import Chat, Message
from inbox.replies.sent import chat_holds_one_answer, reply_mark_sent
from marketplaces.registry import MARKETPLACE_SPECS
from marketplaces.types import AttachmentKind, Author, RemoteAttachment, RemoteMessage

# An echo of our reply is matched only when it appeared close to the time we sent it.
ECHO_MATCH_BEFORE = timedelta(minutes=5)
ECHO_MATCH_AFTER = timedelta(minutes=30)
# Statuses of our own replies that may already have reached the marketplace.
MAYBE_DELIVERED = (
    Message.DeliveryStatus.PENDING,  # only with attempts > 0: a re-send waiting after `unknown`
    Message.DeliveryStatus.SENDING,
    Message.DeliveryStatus.UNKNOWN,
    Message.DeliveryStatus.SENT,
)


class Verdict(StrEnum):
    MATCHED = "matched"  # the echo is there: the reply is sent
    ABSENT = "absent"  # the marketplace's messages reach back before the reply and hold no echo
    UNPROVEN = "unproven"  # the messages do not reach back far enough to tell


def text_normalise(*, text: str) -> str:
    """What two texts must share to be the same reply: NFC form, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def file_name_normalise(*, name: str) -> str:
    # Names derived from a URL arrive percent-encoded (WB images, Ozon links).
    return unicodedata.normalize("NFC", unquote(name)).strip().casefold()


def _is_nameless_image(attachment: RemoteAttachment) -> bool:
    """An image the marketplace describes by its URL only (WB `images`, Ozon bare links): no file name."""
    return attachment.kind == AttachmentKind.IMAGE and not attachment.content_type and attachment.size is None


def reply_echo_matches(
    *, text: str, attachments: list[dict[str, Any]], remote: RemoteMessage, texts_equal: bool
) -> bool:
    """`texts_equal`: the normalised texts of our reply and the echo are the same.

    A text reply matches on its text alone. A reply with a file needs the file's name among the echo's
    attachments (and its text, if it has one: Ozon renders a file as a Markdown link in the echo's
    text, so an empty text is not compared). An image the marketplace keeps without its name matches an
    image reply only when the texts are equal as well.
    """
    names = [
        str(item.get("name") or "") for item in attachments if isinstance(item, dict) and item.get("name")
    ]
    if not names:
        return texts_equal
    if text.strip() and not texts_equal:
        return False
    echoed = {file_name_normalise(name=item.name) for item in remote.attachments if item.name}
    if all(file_name_normalise(name=name) in echoed for name in names):
        return True
    ours_are_images = all(
        isinstance(item, dict) and item.get("kind") == AttachmentKind.IMAGE for item in attachments
    )
    nameless = [item for item in remote.attachments if _is_nameless_image(item)]
    return texts_equal and ours_are_images and len(nameless) >= len(names)


def echo_attachments_merge(
    *, ours: list[dict[str, Any]], echoed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The attachments a matched reply keeps: ours (name, type, size as we sent them) with the
    marketplace's references (remote id, URL, moderation), which the echo may describe more poorly."""
    if not ours:
        return echoed
    remaining = list(echoed)
    merged = []
    for item in ours:
        wanted = file_name_normalise(name=str(item.get("name") or ""))
        found = next(
            (
                other
                for other in remaining
                if file_name_normalise(name=str(other.get("name") or "")) == wanted
            ),
            None,
        )
        if found is None:
            found = next((other for other in remaining if other.get("kind") == item.get("kind")), None)
        if found is None:
            merged.append(item)
            continue
        remaining.remove(found)
        merged.append(
            {
                **item,
                "remote_id": found.get("remote_id", ""),
                "url": found.get("url", ""),
                "moderation": found.get("moderation", ""),
            }
        )
    return merged + remaining


def _is_echo_of(*, candidate: Message, remote: RemoteMessage, any_time: bool = False) -> bool:
    """`any_time`: the chat holds one answer, so the answer with our text is ours whatever its date
    (WB may date an answer by its first version)."""
    texts_equal = text_normalise(text=candidate.text) == text_normalise(text=remote.text)
    if not reply_echo_matches(
        text=candidate.text, attachments=candidate.attachments, remote=remote, texts_equal=texts_equal
    ):
        return False
    if any_time:
        return True
    reference = candidate.sending_started_at or candidate.created_at
    return candidate.created_at - ECHO_MATCH_BEFORE <= remote.created_at <= reference + ECHO_MATCH_AFTER


def _bind(*, candidate: Message, remote: RemoteMessage, keep_time: bool = False) -> bool:
    from inbox.services.aggregates import attachments_serialise

    return reply_mark_sent(
        message=candidate,
        from_statuses=MAYBE_DELIVERED,
        sent_at=candidate.sent_at or remote.created_at,
        external_id=remote.external_id,
        created_at=None if keep_time else remote.created_at,
        attachments=echo_attachments_merge(
            ours=candidate.attachments, echoed=attachments_serialise(attachments=remote.attachments)
        ),
    )


def _candidates(*, chat_ids: Iterable[int]) -> list[Message]:
    return list(
        Message.objects.filter(
            chat_id__in=set(chat_ids),
            direction=Message.Direction.OUT,
            external_id__isnull=True,
            delivery_status__in=MAYBE_DELIVERED,
            attempts__gt=0,
        )
        .select_related("chat__account")
        .order_by("created_at", "id")
    )


def replies_reconcile(*, echoes: Sequence[tuple[Chat, RemoteMessage]]) -> dict[tuple[int, str], int]:
    """Bind seller messages new to us (from one sync page) to our replies they echo.

    Returns {(chat id, echo external id): our message id} for every echo bound; the caller stores the
    others as messages typed in the marketplace's cabinet.
    """
    if not echoes:
        return {}
    candidates = _candidates(chat_ids={chat.pk for chat, _remote in echoes})
    if not candidates:
        return {}
    matched: dict[tuple[int, str], int] = {}
    used: set[int] = set()
    # From the candidates (their chat and account are loaded with them): no query per echo.
    one_answer = {candidate.chat_id for candidate in candidates if chat_holds_one_answer(chat=candidate.chat)}
    for chat, remote in sorted(echoes, key=lambda pair: pair[1].created_at):
        for candidate in candidates:
            if candidate.pk in used or candidate.chat_id != chat.pk:
                continue
            if not _is_echo_of(candidate=candidate, remote=remote, any_time=chat.pk in one_answer):
                continue
            if _bind(candidate=candidate, remote=remote, keep_time=chat.pk in one_answer):
                used.add(candidate.pk)
                matched[(chat.pk, remote.external_id)] = candidate.pk
                break
    return matched


def reply_check(*, message: Message, recent: Sequence[RemoteMessage]) -> Verdict:
    """Settle one reply against the newest messages of its chat as the marketplace holds them now.

    The echo must be a seller message not yet bound to another of our rows, except in a chat that
    holds one answer, whose answer keeps its id while its text changes: there the answer carrying our
    text is the proof. Absence is proven only when the messages reach back to before the reply was
    written (an older message is among them, or the connector read everything since before the reply:
    `RecentMessages.complete_since`), so a short page never passes for "not there".
    """
    chat = message.chat
    seller = [remote for remote in recent if remote.author == Author.SELLER]
    one_answer = chat_holds_one_answer(chat=chat)
    if one_answer:
        for remote in seller:
            if text_normalise(text=remote.text) == text_normalise(text=message.text) and _bind(
                candidate=message, remote=remote, keep_time=True
            ):
                return Verdict.MATCHED
    else:
        bound = set(
            Message.objects.filter(
                chat=chat, external_id__in=[remote.external_id for remote in seller]
            ).values_list("external_id", flat=True)
        )
        for remote in sorted(seller, key=lambda item: item.created_at):
            if remote.external_id in bound or not _is_echo_of(candidate=message, remote=remote):
                continue
            if _bind(candidate=message, remote=remote):
                return Verdict.MATCHED
    if one_answer and recent:
        # The marketplace shows the chat's whole state (the question and its one answer).
        return Verdict.ABSENT
    if any(remote.created_at <= message.created_at for remote in recent):
        return Verdict.ABSENT
    complete_since = getattr(recent, "complete_since", None)
    if complete_since is not None and message.created_at > complete_since:
        # Every attempt was sent after the reply was written, inside the stretch read in full.
        return Verdict.ABSENT
    return Verdict.UNPROVEN


def single_answer_kinds(*, marketplace: str) -> frozenset[str]:
    spec = MARKETPLACE_SPECS.get(marketplace)
    return frozenset() if spec is None else spec.single_answer_kinds


def answer_edit_apply(*, message: Message, remote: RemoteMessage, now: datetime) -> bool:
    """A chat's one answer came back with another text (edited in the marketplace's cabinet, or ours
    replaced): take the text and mark the answer edited. True when `message` changed (not saved)."""
    if not remote.text or text_normalise(text=remote.text) == text_normalise(text=message.text):
        return False
    message.text = remote.text
    message.edited_at = now
    return True
