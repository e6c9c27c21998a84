"""How Wildberries phrases errors and rate limits (three error shapes; 429 with X-Ratelimit-* headers).

Spec: specs/wb-09-communications-2026-07.yaml (responses 400–451), API_REFERENCE.md §1.2–1.3.
"""

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.http import Dialect, Response, body_json_or_none, seconds_header

LABEL = "Wildberries"


def error_text(response: Response) -> str:
    """The three WB error shapes: gateway problem+json, chat service (origin proxy-chats), feedbacks-api."""
    body = body_json_or_none(response)
    if not isinstance(body, dict):
        return ""
    if body.get("error") is True and isinstance(body.get("errorText"), str):
        return body["errorText"]
    for name in ("detail", "error", "title", "errorText"):
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def retry_after(response: Response, now: float) -> float | None:
    return seconds_header(response, "X-Ratelimit-Retry") or seconds_header(response, "X-Ratelimit-Reset")


def forbidden(response: Response, text: str) -> errors.MarketplaceError:
    lowered = text.lower()
    if "авторизац" in lowered or "token" in lowered or "unauthorized" in lowered:
        return errors.AuthError(
            _("%(marketplace)s did not accept the token: %(text)s") % {"marketplace": LABEL, "text": text},
            status=403,
        )
    detail = f": {text}" if text else ""
    return errors.CapabilityError(
        _(
            "%(marketplace)s denied access to the method%(detail)s. "
            "Check the token's categories and access level"
        )
        % {"marketplace": LABEL, "detail": detail},
        status=403,
    )


def classify(response: Response, text: str) -> errors.MarketplaceError | None:
    if response.status == 402:
        return errors.CapabilityError(
            _("%(marketplace)s: the service balance is too low (402)%(detail)s")
            % {"marketplace": LABEL, "detail": f": {text}" if text else ""},
            status=402,
        )
    if response.status == 451:
        return errors.AttachmentRejectedError(
            _("%(marketplace)s: the file did not pass moderation") % {"marketplace": LABEL}, status=451
        )
    if response.status == 400 and "signature" in text.lower():
        # The chat's replySign expired or was replaced; the message keeps WB's own words.
        return errors.StaleReplySignError(
            _("%(marketplace)s rejected %(action)s%(detail)s")
            % {"marketplace": LABEL, "action": _("the message"), "detail": f": {text}"},
            status=400,
        )
    return None


DIALECT = Dialect(
    label=LABEL, error_text=error_text, retry_after=retry_after, forbidden=forbidden, classify=classify
)
