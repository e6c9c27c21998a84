from marketplaces.registry import spec_for
from marketplaces.yandex_market.push import push_requests_sync


def test_chat_notifications_ask_for_a_sync_and_other_pushes_do_not() -> None:
    for notification in (
        "CHAT_CREATED",
        "CHAT_MESSAGE_SENT",
        "CHAT_ARBITRAGE_STARTED",
        "CHAT_ARBITRAGE_FINISHED",
    ):
        assert push_requests_sync({"notificationType": notification}) is True
    assert push_requests_sync({"notificationType": "ORDER_CREATED"}) is False
    assert push_requests_sync({"notificationType": "PING"}) is False
    assert spec_for("yandex_market").push_requests_sync is push_requests_sync
    assert spec_for("wildberries").push_requests_sync is None
