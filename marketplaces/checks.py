"""Checks a reply passes before any request leaves (the same for every marketplace)."""

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.spec import MarketplaceSpec


def text_check(*, spec: MarketplaceSpec, kind: str, text: str) -> None:
    """Refuse an empty reply or one longer than the marketplace takes for this chat kind."""
    if not text.strip():
        raise errors.RequestRejectedError(_("An empty message cannot be sent"))
    limit = spec.text_limit_for(kind=kind)
    if len(text) > limit:
        raise errors.RequestRejectedError(
            _(
                "The message is longer than %(limit)s characters (%(length)s): "
                "%(marketplace)s will not accept it"
            )
            % {"limit": limit, "length": len(text), "marketplace": spec.label}
        )
