"""Reads for chats and messages. Every query starts from what the user is allowed to see."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from accounts.models import MarketplaceAccount
from accounts.selectors import user_sees_all_accounts
from inbox.models import Chat, Message


def chat_queryset_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Chat]:
    if not user.is_authenticated or not user.is_active:
        return Chat.objects.none()
    chats = Chat.objects.all()
    if user_sees_all_accounts(user=user):
        return chats
    member_accounts = MarketplaceAccount.objects.filter(members=user).values("pk")
    return chats.filter(account_id__in=member_accounts)


def chat_get_for_user(*, user: AbstractBaseUser | AnonymousUser, chat_id: int) -> Chat:
    """The chat if the user may see it; raises Chat.DoesNotExist otherwise (callers answer 404)."""
    return chat_queryset_for_user(user=user).select_related("account", "assignee").get(pk=chat_id)


def message_list_for_chat(*, chat: Chat) -> QuerySet[Message]:
    return Message.objects.filter(chat=chat).order_by("created_at", "id")
