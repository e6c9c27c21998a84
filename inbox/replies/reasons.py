"""What the agent reads beside a reply that is delayed, failed or unconfirmed.

The texts are English msgids translated in the catalogue; they are stored in the product's default
language (the agent's own language is unknown to a background task). The marketplace's own words are
kept apart in `Message.last_error_detail` for support.
"""

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

ACCOUNT_DISABLED = _("The marketplace account is disabled: the reply was not sent.")
CONNECTOR_MISSING = _("Could not prepare the send: the marketplace connection is not set up.")
RATE_LIMITED = _("The marketplace limited the request rate; the reply will be sent later.")
NETWORK_RETRY = _("The marketplace could not be reached; the reply will be sent again shortly.")
NETWORK_GAVE_UP = _("The marketplace could not be reached. Try sending the reply later.")
REJECTED = _("The marketplace refused the reply.")
EDIT_REFUSED = _("The marketplace refused to change the answer; it may allow no more changes to it.")
REPLY_SIGN_STALE = _("The marketplace no longer accepts replies with this chat's signature. Try again later.")
WINDOW_CLOSED = _("The marketplace no longer accepts replies in this chat: %(reason)s.")
AUTH_FAILED = _("The marketplace did not accept the account's access key. Check the account's credentials.")
NO_ACCESS = _("The account has no access to the marketplace's chats (subscription or token scope).")
CHECKING = _("No answer from the marketplace; checking whether the reply arrived.")
INTERNAL_ERROR = _("Internal error while sending; checking whether the reply arrived.")
INTERRUPTED = _("The send was interrupted; checking whether the reply arrived.")
UNCONFIRMED = _(
    "Delivery could not be confirmed. Check the chat in the marketplace's cabinet before sending again."
)


def reason_text(*, reason: str | Promise, values: dict[str, object] | None = None) -> str:
    """The reason as stored: translated into the product's default language, values filled in."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(reason)
        return text % {key: str(value) for key, value in values.items()} if values else text


def not_received_text(*, attempts: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return ngettext(
            "The marketplace did not receive the reply after %(count)s attempt.",
            "The marketplace did not receive the reply after %(count)s attempts.",
            attempts,
        ) % {"count": attempts}
