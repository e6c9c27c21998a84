"""Ozon Seller API buyer chats. Old import paths keep working through these re-exports."""

from marketplaces.ozon.connector import CAPABILITIES, OzonConnector
from marketplaces.ozon.parse import BUYER_CHAT_TYPES, normalize_enum, parse_markdown
from marketplaces.ozon.spec import OZON_SPEC

__all__ = [
    "BUYER_CHAT_TYPES",
    "CAPABILITIES",
    "OZON_SPEC",
    "OzonConnector",
    "normalize_enum",
    "parse_markdown",
]
