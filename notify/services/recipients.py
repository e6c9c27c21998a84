"""Who may be told about a chat: the same membership rule as the inbox (accounts.selectors)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from accounts.selectors import VIEW_ALL_PERMISSION

MANAGE_ACCOUNT_PERMISSION = "change_marketplaceaccount"


def _with_permission(codename: str, app_label: str) -> Q:
    return Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label) | Q(
        groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label
    )


def users_seeing_account(*, account_id: int) -> QuerySet[AbstractBaseUser]:
    """Active users whose inbox shows the account's chats: members, superusers, "view all" holders."""
    app_label, codename = VIEW_ALL_PERMISSION.split(".")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(marketplace_accounts__id=account_id)
            | Q(is_superuser=True)
            | _with_permission(codename, app_label)
        )
        .distinct()
    )


def account_admins(*, account_id: int) -> QuerySet[AbstractBaseUser]:
    """Superusers, and members allowed to manage the account (DESIGN.md §15: breaches, failing syncs)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | (
                Q(marketplace_accounts__id=account_id)
                & _with_permission(MANAGE_ACCOUNT_PERMISSION, "accounts")
            )
        )
        .distinct()
    )
