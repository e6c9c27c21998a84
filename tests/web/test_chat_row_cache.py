"""The list's rows are rendered once a minute and shared, yet every row shows its chat as it is now."""

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from inbox.models import Chat
from inbox.templatetags import inbox_rows

pytestmark = pytest.mark.django_db
LIST = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "chat-list-region"}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def listed(client, make_account, agent, other_agent):
    account = make_account("ozon", name="Кабинет", members=[agent, other_agent])
    now = timezone.now()
    chats = [
        Chat.objects.create(
            account=account,
            external_id=f"c-{index}",
            buyer_name=f"Покупатель {index}",
            last_message_at=now,
            last_message_preview=f"Вопрос {index}",
        )
        for index in range(3)
    ]
    client.force_login(agent)
    return chats


def _rows_rendered(client, **extra) -> tuple[str, int]:
    with mock.patch.object(inbox_rows, "render_to_string", wraps=inbox_rows.render_to_string) as render:
        body = client.get(reverse("inbox:index"), **LIST, **extra).content.decode()
    return body, render.call_count


def test_a_second_agent_gets_the_same_rows_without_rendering_them(client, listed, other_agent):
    first, rendered = _rows_rendered(client)
    assert rendered == 3
    client.force_login(other_agent)
    second, rendered_again = _rows_rendered(client)
    assert rendered_again == 0
    assert first.count('id="chat-row-') == second.count('id="chat-row-') == 3


def test_a_chat_changed_behind_the_orms_back_is_rendered_anew(client, listed):
    _rows_rendered(client)
    Chat.objects.filter(pk=listed[1].pk).update(unread_count=7, last_message_preview="Где мой заказ?")
    body, rendered = _rows_rendered(client)
    assert rendered == 1
    assert "Где мой заказ?" in body and 'class="unread-badge" aria-label="unread">7<' in body.replace(
        "непрочитано", "unread"
    )


def test_the_open_chat_and_the_language_and_the_minute_are_part_of_a_row(client, listed):
    _rows_rendered(client)
    pane_page = client.get(reverse("inbox:chat", args=[listed[0].pk]))
    active = re.findall(
        r'class="chat-row[^"]*\bactive\b[^"]*" id="chat-row-(\d+)"', pane_page.content.decode()
    )
    assert active == [str(listed[0].pk)]
    Chat.objects.filter(pk=listed[2].pk).update(buyer_name="")
    russian, _rendered = _rows_rendered(client, HTTP_ACCEPT_LANGUAGE="ru")
    english, rendered = _rows_rendered(client, HTTP_ACCEPT_LANGUAGE="en")
    assert rendered == 3
    assert "Покупатель<" in russian or ">Покупатель" in russian
    assert ">Buyer<" in english
    later = timezone.now() + timezone.timedelta(minutes=1)
    with mock.patch("inbox.templatetags.inbox_rows.timezone.now", return_value=later):
        _body, rendered = _rows_rendered(client, HTTP_ACCEPT_LANGUAGE="en")
    assert rendered == 3
