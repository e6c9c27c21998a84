"""Every failure a connector can raise. Messages are human-readable and never contain secrets."""

from django.utils.translation import gettext as _


class MarketplaceError(Exception):
    """Base class. `message` is safe to show to staff and to store in the database."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class TransientError(MarketplaceError):
    """Network trouble or a 5xx: the same request may succeed later."""


class DeliveryUnknownError(TransientError):
    """A non-idempotent request left our side but no answer came back: it may or may not have happened."""


class RateLimitedError(MarketplaceError):
    """The marketplace asked us to slow down; nothing more may be sent before `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class AuthError(MarketplaceError):
    """Credentials are missing, malformed, expired or revoked."""


class CapabilityError(MarketplaceError):
    """Credentials work but lack a scope, role or subscription (e.g. Ozon Premium Plus, WB token scope)."""


class RequestRejectedError(MarketplaceError):
    """A 4xx validation answer: resending the same request will fail the same way."""


class StaleReplySignError(RequestRejectedError):
    """Wildberries refused the chat's replySign (it expired or was replaced): fetch the chat for a new one."""


class UnexpectedResponseError(MarketplaceError):
    """The answer does not match the documented schema (truncated JSON, schema drift)."""


class AttachmentPendingError(MarketplaceError):
    """The file is still being moderated (WB 202); try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, status=202)
        self.retry_after = retry_after


class AttachmentRejectedError(MarketplaceError):
    """The marketplace will never serve this file (WB 451 after moderation)."""


def schema_error(*, marketplace: object, what: str) -> UnexpectedResponseError:
    """The answer of `what` (a path or an operation name) does not match the documented schema."""
    return UnexpectedResponseError(
        _("%(marketplace)s: the answer of %(what)s does not match the schema")
        % {"marketplace": marketplace, "what": what}
    )
