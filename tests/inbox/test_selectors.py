import pytest
from django.contrib.auth.models import Permission, User

from accounts.selectors import account_list_for_user
from inbox.models import Chat
from inbox.selectors import chat_get_for_user, chat_queryset_for_user


@pytest.fixture
def two_accounts(make_account, make_chat, agent, other_agent):
    mine = make_account("ozon", name="A", members=[agent])
    theirs = make_account("wildberries", name="B", members=[other_agent])
    return {
        "mine": mine,
        "theirs": theirs,
        "my_chat": make_chat(mine),
        "their_chat": make_chat(theirs),
    }


@pytest.mark.django_db
def test_member_sees_only_chats_of_their_accounts(two_accounts, agent):
    assert list(chat_queryset_for_user(user=agent)) == [two_accounts["my_chat"]]
    assert list(account_list_for_user(user=agent)) == [two_accounts["mine"]]
    with pytest.raises(Chat.DoesNotExist):
        chat_get_for_user(user=agent, chat_id=two_accounts["their_chat"].pk)
    assert chat_get_for_user(user=agent, chat_id=two_accounts["my_chat"].pk) == two_accounts["my_chat"]


@pytest.mark.django_db
def test_superuser_and_view_all_permission_see_everything(two_accounts):
    root = User.objects.create_superuser("root", "r@example.com", "x-password-123")
    lead = User.objects.create_user("lead", password="x-password-123")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_chats"))
    lead = User.objects.get(pk=lead.pk)
    expected = {two_accounts["my_chat"].pk, two_accounts["their_chat"].pk}
    assert set(chat_queryset_for_user(user=root).values_list("pk", flat=True)) == expected
    assert set(chat_queryset_for_user(user=lead).values_list("pk", flat=True)) == expected


@pytest.mark.django_db
def test_inactive_and_non_member_users_see_nothing(two_accounts, agent):
    stranger = User.objects.create_user("stranger", password="x-password-123")
    assert chat_queryset_for_user(user=stranger).count() == 0
    agent.is_active = False
    assert chat_queryset_for_user(user=agent).count() == 0
