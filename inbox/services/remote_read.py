"""Read marks on the marketplace: when an agent reads a chat, tell the marketplace where its API can."""

import logging

from django.db import transaction

from inbox.models import Chat, Message
from inbox.queue import task_enqueue
from inbox.replies.deliver import chat_ref
from marketplaces import registry
from marketplaces.errors import MarketplaceError, RateLimitedError

logger = logging.getLogger(__name__)


def chat_remote_read_enqueue(*, chat: Chat) -> None:
    """Tell the marketplace (where its API can) that the agent has read the chat up to its last message."""
    chat_id = chat.pk
    transaction.on_commit(
        lambda: task_enqueue(
            func="inbox.tasks.mark_chat_read_remote", args=(chat_id,), name=f"read-{chat_id}"
        )
    )


def chat_remote_read(*, chat_id: int) -> bool:
    """Mark the chat read on the marketplace up to its newest incoming message; True when a call was made."""
    chat = Chat.objects.select_related("account").filter(pk=chat_id).first()
    if chat is None or not chat.account.is_active:
        return False
    connector = registry.get_connector(chat.account)
    if not connector.capabilities.can_mark_read:
        return False
    newest = (
        Message.objects.filter(chat=chat, direction=Message.Direction.IN, external_id__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("external_id", flat=True)
        .first()
    )
    if not newest:
        return False
    try:
        connector.mark_read(chat=chat_ref(chat=chat), up_to_message_external_id=newest)
    except RateLimitedError as error:
        logger.info("chat %s: remote read postponed by rate limit (%s s)", chat_id, error.retry_after)
        return False
    except MarketplaceError as error:
        logger.warning("chat %s: remote read failed: %s", chat_id, error.message)
        return False
    return True
