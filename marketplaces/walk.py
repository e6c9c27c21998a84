"""The list-then-history walk shared by Ozon and Yandex Market.

Both APIs list chats (paged), and give each chat's messages by a separate history call. One sync page is
one list page — or the rest of its history work — followed by as many history calls as the budget allows.
The cursor keeps `pending`: chats of the listed page whose history is still to fetch, each a JSON dict
with at least `chat_id` plus whatever the connector's history step needs (start id, page token…).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from marketplaces import errors
from marketplaces.types import Cursor, PositionLookup, RemoteChat, RemoteMessage, SkippedItem, UpdatesPage


class ListThenHistory(Protocol):
    def list_step(
        self, state: dict[str, Any], positions: PositionLookup, *, backfill: bool
    ) -> tuple[list[RemoteChat], list[dict[str, Any]], list[SkippedItem]]:
        """Read one list page, move the list position in `state`; return the chats known now, the
        pending history work and what could not be parsed."""
        ...

    def history_step(
        self, item: dict[str, Any], *, since: datetime | None, skipped: list[SkippedItem]
    ) -> tuple[list[RemoteMessage], bool]:
        """One history call for `item` (updated in place to continue); True when its history is done."""
        ...

    def history_done(self, item: dict[str, Any]) -> RemoteChat | None:
        """The chat to report once its history is read (None when list_step already reported it)."""
        ...

    def list_more(self, state: dict[str, Any]) -> bool:
        """A list pass is still in progress."""
        ...


def walk_page(
    *,
    walker: ListThenHistory,
    requests_made: Callable[[], int],
    cursor: Cursor,
    positions: PositionLookup,
    since: datetime | None,
    backfill: bool,
    history_calls: int,
) -> UpdatesPage:
    before = requests_made()
    state = dict(cursor)
    pending: list[dict[str, Any]] = [dict(item) for item in state.get("pending", [])]
    chats: list[RemoteChat] = []
    skipped: list[SkippedItem] = []
    if not pending:
        chats, pending, skipped = walker.list_step(state, positions, backfill=backfill)
    messages: list[RemoteMessage] = []
    calls = 0
    while pending and calls < history_calls:
        item = pending[0]
        calls += 1
        try:
            page_messages, done = walker.history_step(item, since=since, skipped=skipped)
        except errors.RequestRejectedError as exc:
            # One chat the marketplace refuses to show (e.g. 404) must not block the account.
            skipped.append(SkippedItem(reason=exc.message, reference=item["chat_id"]))
            pending.pop(0)
            continue
        messages.extend(page_messages)
        if done:
            chat = walker.history_done(item)
            if chat is not None:
                chats.append(chat)
            pending.pop(0)
    state["pending"] = pending
    return UpdatesPage(
        chats=tuple(chats),
        messages=tuple(messages),
        cursor=state,
        has_more=bool(pending) or walker.list_more(state),
        skipped=tuple(skipped),
        requests_made=requests_made() - before,
    )
