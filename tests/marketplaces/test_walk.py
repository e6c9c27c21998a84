"""The shared list-then-history walk, with a scripted walker (the connectors' own tests cover the APIs)."""

from datetime import UTC, datetime

from marketplaces import errors
from marketplaces.types import Author, RemoteChat, RemoteMessage, SkippedItem
from marketplaces.walk import walk_page


class ScriptedWalker:
    def __init__(self, chat_ids: list[str], history_pages: dict[str, int]) -> None:
        self.chat_ids = chat_ids
        self.history_pages = history_pages
        self.requests = 0

    def list_step(self, state, positions, *, backfill):
        self.requests += 1
        state["listed"] = True
        return [], [{"chat_id": chat_id, "page": 0} for chat_id in self.chat_ids], [SkippedItem(reason="bad")]

    def history_step(self, item, *, since, skipped):
        self.requests += 1
        if item["chat_id"] == "refused":
            raise errors.RequestRejectedError("Маркетплейс не показал чат", status=404)
        item["page"] += 1
        message = RemoteMessage(
            chat_external_id=item["chat_id"],
            external_id=f"{item['chat_id']}-{item['page']}",
            author=Author.BUYER,
            text="Здравствуйте",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        return [message], item["page"] >= self.history_pages.get(item["chat_id"], 1)

    def history_done(self, item):
        return RemoteChat(external_id=item["chat_id"])

    def list_more(self, state):
        return False


def test_history_budget_resumes_from_the_cursor_and_refusals_are_skipped() -> None:
    walker = ScriptedWalker(["a", "refused", "b"], {"a": 2, "b": 1})
    first = walk_page(
        walker=walker,
        requests_made=lambda: walker.requests,
        cursor={},
        positions=lambda ids: {},
        since=None,
        backfill=False,
        history_calls=2,
    )
    assert [message.external_id for message in first.messages] == ["a-1", "a-2"]
    assert [chat.external_id for chat in first.chats] == ["a"]
    assert first.cursor["pending"] == [{"chat_id": "refused", "page": 0}, {"chat_id": "b", "page": 0}]
    assert (first.has_more, first.requests_made) == (True, 3)
    second = walk_page(
        walker=walker,
        requests_made=lambda: walker.requests,
        cursor=first.cursor,
        positions=lambda ids: {},
        since=None,
        backfill=False,
        history_calls=2,
    )
    assert [message.external_id for message in second.messages] == ["b-1"]
    assert [chat.external_id for chat in second.chats] == ["b"]
    assert [(item.reason, item.reference) for item in second.skipped] == [
        ("Маркетплейс не показал чат", "refused")
    ]
    assert (second.has_more, second.requests_made, second.cursor["pending"]) == (False, 2, [])
