"""Reply length limits per marketplace: the one place the inbox, the API and validation read them from."""

from accounts.credentials import OZON, WILDBERRIES, YANDEX_MARKET

# WB buyer chat: 1000 characters per message (questions allow 5000, but our WB chats reply through the
# chat API, so the stricter limit applies). Ozon chat: 1000. Yandex Market chat: 4096.
REPLY_LENGTH_LIMITS: dict[str, int] = {
    WILDBERRIES: 1000,
    OZON: 1000,
    YANDEX_MARKET: 4096,
}
DEFAULT_REPLY_LENGTH_LIMIT = 1000


def reply_length_limit(*, marketplace: str) -> int:
    return REPLY_LENGTH_LIMITS.get(marketplace, DEFAULT_REPLY_LENGTH_LIMIT)
