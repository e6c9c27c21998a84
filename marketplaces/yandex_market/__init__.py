"""Yandex Market Partner API buyer chats. Old import paths keep working through these re-exports."""

from marketplaces.yandex_market.connector import CAPABILITIES, SWEEP_SECONDS, YandexMarketConnector
from marketplaces.yandex_market.spec import YANDEX_MARKET_SPEC

__all__ = ["CAPABILITIES", "SWEEP_SECONDS", "YANDEX_MARKET_SPEC", "YandexMarketConnector"]
