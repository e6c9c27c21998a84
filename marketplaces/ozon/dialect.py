"""How Ozon phrases errors and rate limits (429 + Retry-After; 403 texts tell a bad key from a missing role).

Spec: specs/ozon-seller-swagger-2025-08.json (Errors tag), API_REFERENCE.md §2.2–2.3.
"""

import email.utils

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplaces import errors
from marketplaces.http import Dialect, Response, body_json_or_none, seconds_header

LABEL = "Ozon"

PREMIUM_REQUIRED = gettext_lazy(
    "Ozon gave no access to buyer chats. Chats through the Seller API need a Premium Plus or Premium Pro "
    "subscription; check the subscription and the API key's role"
)


def error_text(response: Response) -> str:
    body = body_json_or_none(response)
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str):
            return message
        nested = body.get("error")
        if isinstance(nested, dict) and isinstance(nested.get("message"), str):
            return nested["message"]
    return ""


def retry_after(response: Response, now: float) -> float | None:
    seconds = seconds_header(response, "Retry-After")
    if seconds is not None:
        return seconds
    value = response.header("Retry-After")
    if value:
        try:
            return max(email.utils.parsedate_to_datetime(value).timestamp() - now, 0.0)
        except (TypeError, ValueError):
            return None
    return None


def forbidden(response: Response, text: str) -> errors.MarketplaceError:
    lowered = text.lower()
    if "invalid api-key" in lowered or "deactivated" in lowered:
        return errors.AuthError(_("Ozon did not accept the API key: %(text)s") % {"text": text}, status=403)
    if "restricted to specific ip" in lowered:
        return errors.AuthError(
            _(
                "The Ozon API key is allowed only from certain IP addresses: "
                "add the server's address in the key settings"
            ),
            status=403,
        )
    if "missing a required role" in lowered:
        return errors.CapabilityError(
            _("The Ozon API key has no role for chats: create a key with access to chats"), status=403
        )
    if "offer not signed" in lowered:
        return errors.CapabilityError(
            _("The seller has not accepted the current Ozon offer: accept it in the seller cabinet"),
            status=403,
        )
    detail = _(" (Ozon's answer: %(text)s)") % {"text": text} if text else ""
    return errors.CapabilityError(f"{PREMIUM_REQUIRED}{detail}", status=403)


def classify(response: Response, text: str) -> errors.MarketplaceError | None:
    lowered = text.lower()
    if "circle is open" in lowered:
        return errors.RateLimitedError(
            _("Ozon blocked the method for a while because of too many requests"),
            retry_after=120.0,
            status=response.status,
        )
    if response.status != 429 and "rate limit" in lowered:
        return errors.RateLimitedError(
            _("Ozon limited the request rate: %(text)s") % {"text": text}, retry_after=1.0
        )
    if response.status in (401, 404) and ("invalid api-key" in lowered or "deactivated" in lowered):
        return errors.AuthError(
            _("Ozon did not accept the API key: %(text)s") % {"text": text}, status=response.status
        )
    return None


DIALECT = Dialect(
    label=LABEL, error_text=error_text, retry_after=retry_after, forbidden=forbidden, classify=classify
)
