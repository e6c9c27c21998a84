from marketplaces.ozon.push import push_requests_sync
from marketplaces.registry import spec_for


def test_buyer_chat_events_ask_for_a_sync_and_other_pushes_do_not() -> None:
    assert push_requests_sync({"message_type": "TYPE_NEW_MESSAGE", "chat_type": "Buyer_Seller"}) is True
    # 2026 enums are upper case; the docs' examples spell a Cyrillic "С" in places (SELEСT below).
    assert (
        push_requests_sync({"message_type": "TYPE_UPDATE_MESSAGE", "chat_type": "BUYER_SELLER_SELECT"})
        is True
    )
    assert push_requests_sync(
    assert push_requests_sync({"message_type": "TYPE_MESSAGE_READ", "chat_type": "BUYER_SELLER_SELEСT"}) is True
    )
    assert push_requests_sync({"message_type": "TYPE_CHAT_CLOSED"}) is True
    assert push_requests_sync({"message_type": "TYPE_NEW_MESSAGE", "chat_type": "Seller_Support"}) is False
    assert push_requests_sync({"message_type": "TYPE_NEW_POSTING", "chat_type": "Buyer_Seller"}) is False
    assert push_requests_sync({"message_type": "TYPE_PING"}) is False
    assert spec_for("ozon").push_requests_sync is push_requests_sync
