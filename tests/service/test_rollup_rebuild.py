"""The reports' rollup after deletions, and `manage.py rebuild_response_rollup`."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from inbox.models import Chat, Message
from service.deadlines import chat_deadlines_refresh
from service.models import ResponseTurn, TurnDay
from service.rollup import turn_days_rebuild
from tests.service.conftest import moscow
from tests.service.test_rollup import rollup_rows

pytestmark = pytest.mark.django_db
BUYER, SELLER = Message.Author.BUYER, Message.Author.SELLER
DAY_ONE, DAY_TWO = moscow(2026, 11, 5, 12, 0), moscow(2026, 11, 6, 12, 0)


@pytest.fixture
def world(make_account, make_chat, add_message, agent, other_agent):
    """Two accounts, each with chats on two days answered by two agents and in the cabinet."""
    accounts = [make_account(name, members=[agent, other_agent]) for name in ("ozon", "wildberries")]
    chats = []
    for account in accounts:
        for start, replier in ((DAY_ONE, agent), (DAY_TWO, other_agent), (DAY_TWO, None)):
            chat = make_chat(account)
            add_message(chat, BUYER, start)
            reply = {"sent_by": replier, "delivery_status": "sent", "sent_at": start + timedelta(minutes=9)}
            add_message(chat, SELLER, start + timedelta(minutes=8), **(reply if replier else {}))
            add_message(chat, BUYER, start + timedelta(hours=1))
            chats.append(chat)
    chat_deadlines_refresh(chat_ids=[chat.pk for chat in chats])
    return accounts, chats


def recount() -> list[tuple]:
    """What the rollup must hold: a recount from the turns that exist."""
    turn_days_rebuild()
    return rollup_rows()


def test_the_command_recounts_only_its_scope_and_twice_is_once(world):
    (ozon, wildberries), _chats = world
    correct = rollup_rows()
    # Stale figures in both accounts, on both days.
    TurnDay.objects.update(turns=99, response_times=b"")
    out = StringIO()
    call_command(
        "rebuild_response_rollup",
        "--account",
        str(ozon.pk),
        "--from",
        "2026-11-05",
        "--to",
        "2026-11-05",
        stdout=out,
    )
    assert "Done: 2 turns in 2 rollup rows" in out.getvalue()
    fixed = [row for row in rollup_rows() if row[1] == ozon.pk and row[0] == date(2026, 11, 5)]
    assert fixed == [row for row in correct if row[1] == ozon.pk and row[0] == date(2026, 11, 5)]
    assert all(
        row[5] == 99 for row in rollup_rows() if row[1] == wildberries.pk or row[0] == date(2026, 11, 6)
    )

    call_command("rebuild_response_rollup", stdout=StringIO())
    assert rollup_rows() == correct
    call_command("rebuild_response_rollup", stdout=StringIO())
    assert rollup_rows() == correct


def test_the_command_refuses_a_reversed_range_and_an_unknown_account(world):
    with pytest.raises(CommandError):
        call_command(
            "rebuild_response_rollup", "--from", "2026-11-06", "--to", "2026-11-05", stdout=StringIO()
        )
    with pytest.raises(CommandError):
        call_command("rebuild_response_rollup", "--account", "999999", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("rebuild_response_rollup", "--from", "5.11.2026", stdout=StringIO())


@pytest.fixture
def admin_client(db) -> Client:
    user = get_user_model().objects.create_superuser("root", password="root-password-123")
    client = Client()
    client.force_login(user)
    return client


def test_deleting_chats_in_the_admin_takes_their_turns_out_of_the_reports(world, admin_client):
    _accounts, chats = world
    first, second = chats[0], chats[1]
    answer = admin_client.post(f"/admin/inbox/chat/{first.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302 and not Chat.objects.filter(pk=first.pk).exists()
    answer = admin_client.post(
        "/admin/inbox/chat/", {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"}
    )
    assert answer.status_code == 302 and not Chat.objects.filter(pk=second.pk).exists()
    kept = rollup_rows()
    assert sum(row[5] for row in kept) == ResponseTurn.objects.count() == 8
    assert recount() == kept


def test_deleting_a_reply_in_the_admin_reopens_its_turn(world, admin_client):
    _accounts, chats = world
    chat = chats[0]
    reply = Message.objects.get(chat=chat, author=SELLER)
    answer = admin_client.post(f"/admin/inbox/message/{reply.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert list(chat.turns.values_list("sequence", "answered_at")) == [(0, None)]
    chat.refresh_from_db()
    assert chat.awaiting_reply_since == DAY_ONE
    kept = rollup_rows()
    assert recount() == kept


def test_a_deleted_agent_s_turns_count_as_no_agent_in_the_reports(world, agent, other_agent):
    client = APIClient()
    client.force_authenticate(agent)
    url = "/api/chat/reports/response-times"
    query = {"from": "2026-11-05", "to": "2026-11-06", "group_by": "agent"}
    before = {group["key"]: group["turns"] for group in client.get(url, query).json()["groups"]}
    assert before == {agent.pk: 2, other_agent.pk: 2, None: 8}
    gone = other_agent.pk
    other_agent.delete()
    after = {group["key"]: group["turns"] for group in client.get(url, query).json()["groups"]}
    assert after == {agent.pk: 2, None: 10}
    assert client.get(url, {**query, "agent": gone}).json()["groups"] == []
    # The rebuild makes the rollup say so itself.
    call_command("rebuild_response_rollup", stdout=StringIO())
    assert not TurnDay.objects.filter(agent_id=gone).exists()
    assert {group["key"]: group["turns"] for group in client.get(url, query).json()["groups"]} == after
