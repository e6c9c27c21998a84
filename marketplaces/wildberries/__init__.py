"""Wildberries: buyer chats (buyer-chat-api) and product questions (feedbacks-api).

Old import paths (`marketplaces.wildberries.WildberriesConnector`, `decode_token`, constants) keep working
through these re-exports until the integrator moves the last callers to the submodules.
"""

from marketplaces.wildberries.connector import (
    CAPABILITIES,
    MAX_TEXT_LENGTH,
    QUESTIONS_POLL_SECONDS,
    WildberriesConnector,
)
from marketplaces.wildberries.credentials import TokenKind, WildberriesToken, decode_token
from marketplaces.wildberries.parse import QUESTION_PREFIX, from_milliseconds
from marketplaces.wildberries.questions import ANSWERED_LOOKBACK, QUESTIONS_WINDOW
from marketplaces.wildberries.spec import WILDBERRIES_SPEC

__all__ = [
    "ANSWERED_LOOKBACK",
    "CAPABILITIES",
    "MAX_TEXT_LENGTH",
    "QUESTIONS_POLL_SECONDS",
    "QUESTIONS_WINDOW",
    "QUESTION_PREFIX",
    "WILDBERRIES_SPEC",
    "TokenKind",
    "WildberriesConnector",
    "WildberriesToken",
    "decode_token",
    "from_milliseconds",
]
