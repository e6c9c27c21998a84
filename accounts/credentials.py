"""Credentials of a marketplace account: a thin dispatcher to the marketplace's spec and package.

The rules live in `marketplaces/<name>/credentials.py` (CredentialSchema) and `marketplaces/credentials.py`.
The names below stay importable from here so existing callers keep working; new code imports them from
`marketplaces.registry` / `marketplaces.credentials`.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from marketplaces import credentials as marketplace_credentials
from marketplaces.registry import MARKETPLACE_SPECS, OZON, WILDBERRIES, YANDEX_MARKET
from marketplaces.wildberries.credentials import jwt_payload

CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    name: spec.credential_fields for name, spec in MARKETPLACE_SPECS.items()
}

__all__ = [
    "CREDENTIAL_FIELDS",
    "OZON",
    "WILDBERRIES",
    "YANDEX_MARKET",
    "credentials_external_id",
    "credentials_validate",
    "jwt_payload",
]


def credentials_validate(*, marketplace: str, credentials: Any) -> dict[str, str]:
    """Return the normalised credentials or raise ValidationError keyed by field name."""
    spec = MARKETPLACE_SPECS.get(marketplace)
    if spec is None:
        raise ValidationError(
            {
                "marketplace": _("Unknown marketplace “%(name)s”. Expected one of: %(choices)s.")
                % {"name": marketplace, "choices": ", ".join(MARKETPLACE_SPECS)}
            }
        )
    return marketplace_credentials.credentials_clean(spec=spec, credentials=credentials)


def credentials_external_id(*, marketplace: str, credentials: dict[str, str]) -> str:
    """The non-secret identifier of a cabinet, shown to admins and used for de-duplication."""
    return marketplace_credentials.credentials_external_id(
        spec=MARKETPLACE_SPECS[marketplace], credentials=credentials
    )
