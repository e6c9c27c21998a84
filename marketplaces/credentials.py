"""Credential validation for every marketplace, driven by its spec's CredentialSchema."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplaces.spec import MarketplaceSpec


def credentials_clean(*, spec: MarketplaceSpec, credentials: Any) -> dict[str, str]:
    """Return the normalised credentials or raise ValidationError keyed by field name."""
    if not isinstance(credentials, dict):
        raise ValidationError({"credentials": _("Credentials must be a JSON object.")})
    schema = spec.credentials
    expected = spec.credential_fields
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
    for name, message in schema.digits.items():
        if name in cleaned and not cleaned[name].isdigit():
            errors[name] = str(message)
    for name, minimum in schema.min_lengths.items():
        if name in cleaned and name not in errors and len(cleaned[name]) < minimum:
            errors[name] = ngettext(
                "Too short to be a real %(marketplace)s key: at least %(minimum)d character is expected.",
                "Too short to be a real %(marketplace)s key: at least %(minimum)d characters are expected.",
                minimum,
            ) % {"marketplace": spec.label, "minimum": minimum}
    if schema.check is not None and not errors:
        errors.update(schema.check(cleaned))
    if errors:
        raise ValidationError(errors)
    return cleaned


def credentials_external_id(*, spec: MarketplaceSpec, credentials: dict[str, str]) -> str:
    """The non-secret identifier of a cabinet, shown to admins and used for de-duplication."""
    return spec.credentials.external_id(credentials)
