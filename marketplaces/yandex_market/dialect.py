"""How Yandex Market phrases errors and rate limits (420, not 429; X-RateLimit-Resource-Until).

Spec: specs/ym-partner-api-openapi-bundled-2026-07.yaml (ApiErrorDTO), API_REFERENCE.md §3.2 [YM-LIM].
"""

import email.utils

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.http import Dialect, Response, body_json_or_none
from marketplaces.yandex_market.spec import YANDEX_MARKET_SPEC

LABEL = YANDEX_MARKET_SPEC.label


def error_text(response: Response) -> str:
    body = body_json_or_none(response)
    if not isinstance(body, dict):
        return ""
    parts = []
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            code, message = str(item.get("code") or ""), str(item.get("message") or "")
            parts.append(f"{code}: {message}" if code and message else code or message)
    return "; ".join(part for part in parts if part)


def retry_after(response: Response, now: float) -> float | None:
    until = response.header("X-RateLimit-Resource-Until")
    if until:
        try:
            return max(email.utils.parsedate_to_datetime(until).timestamp() - now, 0.0)
        except (TypeError, ValueError):
            parsed = parse_datetime(until)
            if parsed is not None:
                return max(parsed.timestamp() - now, 0.0)
    if "parallel" in error_text(response).lower():
        return 1.0
    return None


def forbidden(response: Response, text: str) -> errors.MarketplaceError:
    lowered = text.lower()
    if "token" in lowered or "unauthorized" in lowered or "credentials" in lowered:
        return errors.AuthError(
            _("Yandex Market did not accept the API key: %(text)s") % {"text": text}, status=403
        )
    detail = _(" (Market's answer: %(text)s)") % {"text": text} if text else ""
    return errors.CapabilityError(
        _(
            "Yandex Market denied access to chats: the API key needs the “communication” access (or "
            "“all-methods”), and the businessId must belong to this cabinet%(detail)s"
        )
        % {"detail": detail},
        status=403,
    )


DIALECT = Dialect(
    label=LABEL,
    error_text=error_text,
    retry_after=retry_after,
    rate_limit_statuses=frozenset({420, 429}),
    forbidden=forbidden,
)
