from marketplaces.ozon.push import push_requests_sync
from marketplaces.registry import spec_for


def pushed(message_type: str, chat_type: str | None = None) -> bool:
    payload = {"message_type": message_type}
    if chat_type is not None:
        payload["chat_type"] = chat_type
    return push_requests_sync(payload)


def test_buyer_chat_events_ask_for_a_sync_and_other_pushes_do_not() -> None:
    assert pushed("TYPE_NEW_MESSAGE", "Buyer_Seller") is True
    # 2026 enums are upper case; the docs' examples spell a Cyrillic "С" in places (SELEСT below).
    assert pushed("TYPE_UPDATE_MESSAGE", "BUYER_SELLER_SELECT") is True
    assert pushed("TYPE_MESSAGE_READ", "BUYER_SELLER_SELE\u0421T") is True
    assert pushed("TYPE_CHAT_CLOSED") is True
    assert pushed("TYPE_NEW_MESSAGE", "Seller_Support") is False
    assert pushed("TYPE_NEW_POSTING", "Buyer_Seller") is False
    assert pushed("TYPE_PING") is False
    assert spec_for("ozon").push_requests_sync is push_requests_sync
