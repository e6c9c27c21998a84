"""How a failed credentials check reads: the marketplace refused the keys, or it could not be asked."""

from marketplaces.errors import AuthError, CapabilityError, MarketplaceError, RequestRejectedError


def credentials_refused(*, error: MarketplaceError) -> bool:
    """True when the marketplace answered and said no; False for network trouble, 5xx, rate limits."""
    return isinstance(error, AuthError | CapabilityError | RequestRejectedError)
