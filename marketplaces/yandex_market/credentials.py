"""Yandex Market credentials: an Api-Key and the businessId (a number, also the cabinet's external id)."""

from collections.abc import Mapping


def credentials_external_id(credentials: Mapping[str, str]) -> str:
    return credentials["business_id"]
