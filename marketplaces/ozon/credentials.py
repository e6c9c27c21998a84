"""Ozon credentials: Client-Id (a number, also the cabinet's external id) and an Api-Key."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy

from marketplaces.spec import CredentialSchema


def credentials_external_id(credentials: Mapping[str, str]) -> str:
    return credentials["client_id"]


CREDENTIAL_SCHEMA = CredentialSchema(
    # Seller API keys are UUIDs (36 characters, e.g. 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0).
    min_lengths={"api_key": 36},
    digits={"client_id": gettext_lazy("Ozon Client-Id is a number, e.g. 123456.")},
    external_id=credentials_external_id,
)
