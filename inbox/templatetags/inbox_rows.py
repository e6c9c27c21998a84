"""The chat list's rows, each rendered once per minute and reused by every agent who lists it.

When one chat of a cabinet changes, every agent of that cabinet re-renders the list; without this each of
them would render the same 49 unchanged rows again. A row's key holds everything it shows (every stored
field of the chat, its account and assignee, the open chat, the filters in its links, the language and
the minute, which moves its "5 min ago" labels), so a cached row is the row the template would render.
"""

import hashlib

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from inbox.models import Chat

register = template.Library()
ROW_TEMPLATE = "inbox/_chat_row.html"
ROW_SECONDS = 120


def _row_key(*, chat: Chat, minute: str, open_chat_id: object, filter_query: str) -> str:
    account, assignee = chat.account, chat.assignee
    parts = (
        sorted((name, value) for name, value in vars(chat).items() if not name.startswith("_")),
        (account.pk, account.name, account.marketplace),
        (assignee.pk, assignee.get_full_name(), assignee.get_username()) if assignee else None,
        chat.pk == open_chat_id,
        filter_query,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        minute,
    )
    return "inbox-row:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


@register.simple_tag(takes_context=True)
def chat_rows(context: template.Context, chats: list[Chat]) -> SafeString:
    open_chat_id = context.get("open_chat_id")
    filter_query = context.get("filter_query", "")
    minute = timezone.now().strftime("%Y%m%d%H%M")
    keys = [
        _row_key(chat=chat, minute=minute, open_chat_id=open_chat_id, filter_query=filter_query)
        for chat in chats
    ]
    cached = cache.get_many(keys)
    rendered = {}
    rows = []
    for key, chat in zip(keys, chats, strict=True):
        row = cached.get(key)
        if row is None:
            row = render_to_string(
                ROW_TEMPLATE, {"chat": chat, "open_chat_id": open_chat_id, "filter_query": filter_query}
            )
            rendered[key] = row
        rows.append(row)
    if rendered:
        cache.set_many(rendered, ROW_SECONDS)
    return mark_safe("".join(rows))  # noqa: S308 (rows the template rendered, escaped there)
