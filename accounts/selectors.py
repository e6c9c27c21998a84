"""Reads for marketplace accounts, with the membership rule applied."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import MarketplaceAccount
from marketplaces import registry

VIEW_ALL_PERMISSION = "inbox.view_all_chats"


def user_sees_all_accounts(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION)))


def account_list_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[MarketplaceAccount]:
    """Accounts whose chats the user may work: all for superusers and "view all" holders, else memberships."""
    if not user.is_authenticated or not user.is_active:
        return MarketplaceAccount.objects.none()
    accounts = MarketplaceAccount.objects.select_related("sync_state")
    if user_sees_all_accounts(user=user):
        return accounts
    return accounts.filter(members=user)


@dataclass(frozen=True)
class AccountHealth:
    """What the inbox header shows about one account's sync."""

    account_id: int
    name: str
    marketplace: str
    is_active: bool
    last_success_at: datetime | None
    lag: timedelta | None
    last_error: str
    consecutive_failures: int
    rate_limited_until: datetime | None
    capability_notes: str
    next_sync_at: datetime | None

    @property
    def is_healthy(self) -> bool:
        return self.is_active and not self.consecutive_failures and self.last_success_at is not None


def account_health_for_user(*, user: AbstractBaseUser | AnonymousUser) -> list[AccountHealth]:
    """Sync health of every account the user works, in one query."""
    now = timezone.now()
    health = []
    for account in account_list_for_user(user=user).order_by("marketplace", "name"):
        state = getattr(account, "sync_state", None)
        last_success = state.last_success_at if state else None
        rate_limited = state.rate_limited_until if state else None
        health.append(
            AccountHealth(
                account_id=account.pk,
                name=account.name,
                marketplace=account.marketplace,
                is_active=account.is_active,
                last_success_at=last_success,
                lag=(now - last_success) if last_success else None,
                last_error=state.last_error if state else "",
                consecutive_failures=state.consecutive_failures if state else 0,
                rate_limited_until=rate_limited if rate_limited and rate_limited > now else None,
                capability_notes=state.capability_notes if state else "",
                next_sync_at=state.next_sync_at if state else None,
            )
        )
    return health


def account_push_url(*, account: MarketplaceAccount) -> str:
    """The absolute URL the marketplace pushes this account's events to ("" when it does not push).

    Built from PUBLIC_BASE_URL, the product's external address, not from the request: the admin page may
    be opened through another host or port than the one the marketplace reaches.
    """
    route = registry.spec_for(account.marketplace).push_route
    if not route or not account.webhook_secret:
        return ""
    try:
        path = reverse(route, kwargs={"secret": account.webhook_secret})
    except NoReverseMatch:
        return ""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"
