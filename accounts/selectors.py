"""Reads for marketplace accounts, with the membership rule applied."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from accounts.models import MarketplaceAccount

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
