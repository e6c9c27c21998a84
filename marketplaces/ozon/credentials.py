"""Ozon credentials: Client-Id (a number, also the cabinet's external id) and an Api-Key."""

from collections.abc import Mapping


def credentials_external_id(credentials: Mapping[str, str]) -> str:
    return credentials["client_id"]
