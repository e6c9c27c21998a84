"""Yandex Market credentials: an Api-Key and the businessId (a number, also the cabinet's external id)."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy

from marketplaces.spec import CredentialSchema


def credentials_external_id(credentials: Mapping[str, str]) -> str:
    return credentials["business_id"]


CREDENTIAL_SCHEMA = CredentialSchema(
    # Api-Key tokens read ACMA:<40 characters>:<8 hex digits> (54 in all; API_REFERENCE §3, "Auth").
    # We ask for 32 so that a key of another layout still passes while a typo or a placeholder does not.
    min_lengths={"api_key": 32},
    digits={"business_id": gettext_lazy("Yandex Market business ID is a number, e.g. 12345678.")},
    external_id=credentials_external_id,
)
