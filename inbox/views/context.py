"""What the inbox templates need, gathered with a fixed number of queries whatever the data size."""

import uuid
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Marketplace, MarketplaceAccount
from accounts.selectors import account_list_for_user
from assist.classify.labels import Sentiment, Topic
from inbox.live import list_version
from inbox.models import Chat
from inbox.replies.create import reply_form_notice, reply_text_limit
from inbox.replies.files import file_hint, file_too_large_message, file_type_message, reply_file_limits_for
from inbox.selectors import (
    ChatFilters,
    MarketplaceCounts,
    chat_counts_by_marketplace,
    chat_page_for_user,
    chat_reply_block,
    member_list_for_account,
    message_recent_for_chat,
    thread_signature,
)
from inbox.snooze import PRESET_TOMORROW, snooze_input_value, snooze_presets
from inbox.views.filters import STATUS_CHOICES, filters_query_string
from marketplaces.registry import spec_for

CHAT_PAGE_SIZE = 50
THREAD_PAGE_SIZE = 100


@dataclass(frozen=True)
class Tab:
    marketplace: str
    label: str
    counts: MarketplaceCounts
    query_string: str
    is_active: bool


def _tabs(*, filters: ChatFilters, counts: dict[str, MarketplaceCounts], marketplaces: set[str]) -> list[Tab]:
    total = MarketplaceCounts(
        open_chats=sum(count.open_chats for count in counts.values()),
        unread_chats=sum(count.unread_chats for count in counts.values()),
    )
    tabs = [
        Tab(
            marketplace="",
            label=_("All"),
            counts=total,
            query_string=filters_query_string(filters=filters, tab="", account=""),
            is_active=not filters.marketplace,
        )
    ]
    for marketplace in Marketplace.values:
        if marketplace not in marketplaces and marketplace not in counts:
            continue
        tabs.append(
            Tab(
                marketplace=marketplace,
                label=spec_for(marketplace).short_label,
                counts=counts.get(marketplace, MarketplaceCounts()),
                query_string=filters_query_string(filters=filters, tab=marketplace, account=""),
                is_active=filters.marketplace == marketplace,
            )
        )
    return tabs


def list_context(*, request: HttpRequest, filters: ChatFilters, cursor: str = "", version: str = "") -> dict:
    # Taken before the chats are read: a change landing meanwhile moves the version the next poll sees.
    signature = version or list_version(user=request.user, filters=filters, cursor=cursor)
    accounts: list[MarketplaceAccount] = list(account_list_for_user(user=request.user).defer("credentials"))
    counts = chat_counts_by_marketplace(user=request.user)
    page = chat_page_for_user(user=request.user, filters=filters, cursor=cursor, limit=CHAT_PAGE_SIZE)
    tabs = _tabs(filters=filters, counts=counts, marketplaces={account.marketplace for account in accounts})
    visible_accounts = [
        account
        for account in accounts
        if not filters.marketplace or account.marketplace == filters.marketplace
    ]
    return {
        "filters": filters,
        "filter_query": filters_query_string(filters=filters),
        "status_choices": STATUS_CHOICES,
        "accounts": accounts,
        "filter_accounts": visible_accounts,
        "topic_choices": Topic.choices,
        "sentiment_choices": Sentiment.choices,
        "troubled_accounts": [account for account in accounts if account_has_trouble(account=account)],
        "tabs": tabs,
        "unread_total": tabs[0].counts.unread_chats,
        "chats": page.items,
        "next_cursor": page.next_cursor,
        "cursor": cursor,
        "list_signature": signature,
    }


def account_has_trouble(*, account: MarketplaceAccount) -> bool:
    state = getattr(account, "sync_state", None)
    if state is None:
        return False
    return bool(state.consecutive_failures or state.rate_limited_until or state.capability_notes)


def reply_form_context(*, chat: Chat, text: str = "", error: str = "") -> dict:
    marketplace = chat.account.marketplace
    reply_block = chat_reply_block(chat=chat)
    file_limits = reply_file_limits_for(chat=chat)
    return {
        "reply_block": reply_block,
        "reply_limit": reply_text_limit(chat=chat),
        "reply_text": text,
        "reply_error": error,
        "idempotency_key": uuid.uuid4(),
        "file_limits": file_limits,
        # The browser's pre-check shows the server's own messages; "{name}" becomes the file name.
        "file_too_large": file_too_large_message(limits=file_limits, name="{name}")
        if file_limits.supported
        else "",
        "file_wrong_type": file_type_message(marketplace=marketplace, limits=file_limits, name="{name}")
        if file_limits.extensions
        else "",
        "file_hint": file_hint(limits=file_limits) if file_limits.supported else "",
        "reply_notice": reply_form_notice(chat=chat),
    }


def chat_context(*, chat: Chat, before: str = "", signature: str = "") -> dict:
    thread = message_recent_for_chat(chat=chat, limit=THREAD_PAGE_SIZE, before=before)
    return {
        "chat": chat,
        "thread_messages": thread.items,
        "earlier_cursor": thread.next_cursor,
        "members": list(member_list_for_account(account=chat.account)),
        "thread_signature": signature or thread_signature(chat=chat),
        **reply_form_context(chat=chat),
        **snooze_context(),
    }


def snooze_context(*, value: str = "", error: str = "") -> dict:
    """The snooze menu: presets with their concrete times, and the custom time field (pre-filled with
    tomorrow morning, or with what the agent typed when it was refused)."""
    now = timezone.now()
    presets = snooze_presets(now=now)
    tomorrow = next(preset.until for preset in presets if preset.value == PRESET_TOMORROW)
    return {
        "snooze_presets": presets,
        "snooze_minimum": snooze_input_value(moment=now),
        "snooze_value": value or snooze_input_value(moment=tomorrow),
        "snooze_error": error,
    }
