"""The shape of each marketplace's credentials, validated with field-level messages."""

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WILDBERRIES = "wildberries"
OZON = "ozon"
YANDEX_MARKET = "yandex_market"

CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    WILDBERRIES: ("token",),
    OZON: ("client_id", "api_key"),
    YANDEX_MARKET: ("api_key", "business_id"),
}


def credentials_validate(*, marketplace: str, credentials: Any) -> dict[str, str]:
    """Return the normalised credentials or raise ValidationError keyed by field name."""
    if marketplace not in CREDENTIAL_FIELDS:
        raise ValidationError(
            {
                "marketplace": _("Unknown marketplace “%(name)s”. Expected one of: %(choices)s.")
                % {"name": marketplace, "choices": ", ".join(CREDENTIAL_FIELDS)}
            }
        )
    if not isinstance(credentials, dict):
        raise ValidationError({"credentials": _("Credentials must be a JSON object.")})
    expected = CREDENTIAL_FIELDS[marketplace]
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name in expected:
        value = credentials.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            errors[name] = _("This field is required.")
            continue
        cleaned[name] = value.strip()
    unknown = sorted(set(credentials) - set(expected))
    if unknown:
        errors["credentials"] = _("Unexpected keys: %(keys)s.") % {"keys": ", ".join(unknown)}
    if "client_id" in cleaned and not cleaned["client_id"].isdigit():
        errors["client_id"] = _("Ozon Client-Id is a number, e.g. 123456.")
    if "business_id" in cleaned and not cleaned["business_id"].isdigit():
        errors["business_id"] = _("Yandex Market business ID is a number, e.g. 12345678.")
    if marketplace == WILDBERRIES and "token" in cleaned and jwt_payload(cleaned["token"]) is None:
        errors["token"] = _(
            "This does not look like a Wildberries API token (a JWT of three dot-separated parts)."
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def jwt_payload(token: str) -> dict[str, Any] | None:
    """Decode a JWT payload without verifying it (we only read non-secret claims such as the token type)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment))
    except (binascii.Error, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def credentials_external_id(*, marketplace: str, credentials: dict[str, str]) -> str:
    """The non-secret identifier of a cabinet, shown to admins and used for de-duplication."""
    if marketplace == OZON:
        return credentials["client_id"]
    if marketplace == YANDEX_MARKET:
        return credentials["business_id"]
    payload = jwt_payload(credentials["token"]) or {}
    return str(payload.get("sid") or payload.get("oid") or "")
