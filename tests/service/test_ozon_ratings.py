from datetime import UTC, datetime
from unittest import mock

import responses
from django.test import Client

from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from service.models import OzonRating, OzonRatingFetch
from service.ozon_ratings import ozon_ratings_fetch, ozon_ratings_fetch_all
from service.tasks import ozon_ratings_daily
from tests.marketplaces.conftest import fixture_text
from tests.service.conftest import moscow

OZON = "https://api-seller.ozon.ru"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def mock_ratings(mocked: responses.RequestsMock) -> None:
    mocked.post(f"{OZON}/v1/rating/summary", body=fixture_text("ozon", "rating_summary.json"))
    mocked.post(f"{OZON}/v1/rating/history", body=fixture_text("ozon", "rating_history.json"))


def test_fetch_stores_the_chat_ratings_with_thresholds_and_history(make_account):
    account = make_account("ozon")
    with responses.RequestsMock() as mocked:
        mock_ratings(mocked)
        assert ozon_ratings_fetch(account=account, now=NOW) is True

    stored = {rating.rating: rating for rating in OzonRating.objects.filter(account=account)}
    assert sorted(stored) == ["rating_reaction_time", "rating_replied_dialogs_ratio"]
    reaction = stored["rating_reaction_time"]
    assert (reaction.value, reaction.past_value, reaction.status, reaction.value_type) == (
        42.5,
        51.0,
        "OK",
        "TIME",
    )
    assert (reaction.premium_threshold, reaction.warning_threshold, reaction.danger_threshold) == (
        60.0,
        240.0,
        720.0,
    )
    assert reaction.history == [
        {"date": "2026-11-23T12:00:00+00:00", "value": 51.0},
        {"date": "2026-11-24T12:00:00+00:00", "value": 42.5},
    ]
    ratio = stored["rating_replied_dialogs_ratio"]
    assert (ratio.value, ratio.status, ratio.warning_threshold, ratio.history) == (88.2, "WARNING", None, [])
    fetch = OzonRatingFetch.objects.get(account=account)
    assert (fetch.attempted_at, fetch.succeeded_at, fetch.error) == (NOW, NOW, "")


def test_a_refused_fetch_is_recorded_and_keeps_the_old_figures(make_account):
    account = make_account("ozon")
    with responses.RequestsMock() as mocked:
        mock_ratings(mocked)
        ozon_ratings_fetch(account=account, now=NOW)
    later = datetime(2026, 11, 25, 12, tzinfo=UTC)
    with responses.RequestsMock() as mocked:
        mocked.post(f"{OZON}/v1/rating/summary", status=403, json={"code": 7, "message": "no premium"})
        assert ozon_ratings_fetch(account=account, now=later) is False

    fetch = OzonRatingFetch.objects.get(account=account)
    assert (fetch.attempted_at, fetch.succeeded_at) == (later, NOW)
    assert fetch.error == (
        "Ozon не отдал рейтинги продавца: для них нужна подписка Premium и API-ключ с доступом к рейтингам "
        "(ответ Ozon: no premium)"
    )
    assert OzonRating.objects.filter(account=account).count() == 2


def test_daily_task_fetches_active_ozon_accounts_only_and_never_raises(make_account):
    first = make_account("ozon", name="first")
    broken = make_account("ozon", name="broken")
    make_account("ozon", name="off", is_active=False)
    make_account("wildberries")
    calls = []

    def fetch(*, account, now=None):
        calls.append(account.name)
        if account == broken:
            raise RuntimeError("boom")
        return True

    with mock.patch("service.ozon_ratings.ozon_ratings_fetch", side_effect=fetch):
        assert ozon_ratings_daily() == 1

    assert calls == ["first", "broken"]
    assert OzonRatingFetch.objects.get(account=broken).error == "unexpected error, see the log"
    assert not OzonRatingFetch.objects.filter(account=first).exists()


def test_fetch_all_over_http_counts_successes(make_account):
    make_account("ozon")
    with responses.RequestsMock() as mocked:
        mock_ratings(mocked)
        assert ozon_ratings_fetch_all(now=NOW) == 1


def page(user, **filters: int) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(user)
    response = client.get("/reports/", {"from": "2026-11-01", "to": "2026-11-07", **filters})
    assert response.status_code == 200
    return response.content.decode()


def test_reports_page_shows_ozons_ratings_beside_ours(answered_turn, agent):
    account, _chat = answered_turn(name="Озон Главный")
    with responses.RequestsMock() as mocked:
        mock_ratings(mocked)
        ozon_ratings_fetch(account=account, now=NOW)

    html = page(agent)

    assert "Рейтинги Ozon" in html
    assert "Собственные рейтинги Ozon пока не показаны" not in html
    assert "собственные показатели Ozon" in html
    assert "Время реакции (первое сообщение)" in html
    assert "42 мин" in html and "1 ч 00 мин" in html and "4 ч 00 мин" in html and "12 ч 00 мин" in html
    assert "88.2 %" in html and "Требует внимания" in html
    assert '42 мин <span class="muted">(было 51 мин)</span>' in html
    assert '6 мин <span class="muted">(первый ответ, медиана)</span>' in html
    assert "Получено от Ozon 24.11.2026 15:00." in html


def test_reports_page_explains_a_missing_ozon_account(make_account, agent):
    make_account("wildberries", members=[agent])

    html = page(agent)

    assert "Ozon-кабинет не подключён, поэтому рейтингов Ozon нет." in html


def test_reports_page_explains_no_data_yet_and_a_failed_fetch(make_account, agent):
    waiting = make_account("ozon", name="Ждёт", members=[agent])
    failed = make_account("ozon", name="Сломан", members=[agent])
    OzonRatingFetch.objects.create(account=failed, attempted_at=NOW, error="нет подписки")

    html = page(agent)

    assert waiting.name in html and failed.name in html
    assert "Рейтингов от Ozon пока нет: они загружаются раз в день." in html
    assert "Последняя загрузка 24.11.2026 15:00 не удалась: нет подписки" in html


WHOLE_ACCOUNT_NOTE = (
    "Наши показатели рядом с рейтингами Ozon — по всему кабинету, как и у Ozon: фильтр по сотруднику к ним "
    "не применяется."
)


def test_with_an_agent_chosen_ozons_ratings_are_compared_with_the_whole_account(
    answered_turn, make_chat, add_message, add_answer, agent, other_agent
):
    account, _chat = answered_turn(name="Озон Главный")
    account.members.add(other_agent)
    faster = make_chat(account)
    add_message(faster, Message.Author.BUYER, moscow(2026, 11, 5, 12, 0))
    add_answer(faster, other_agent, minutes=2)
    chat_deadlines_refresh(chat_ids=[faster.pk])
    with responses.RequestsMock() as mocked:
        mock_ratings(mocked)
        ozon_ratings_fetch(account=account, now=NOW)

    chosen = page(agent, agent=agent.pk)
    everyone = page(agent)

    # The account's first responses take 2 and 6 minutes: the median (nearest rank) is 2; the chosen
    # agent's alone is 6.
    assert '<td>2 мин <span class="muted">(первый ответ, медиана)</span>' in chosen
    assert '<td>2 мин <span class="muted">(первый ответ, медиана)</span>' in everyone
    assert WHOLE_ACCOUNT_NOTE in chosen and WHOLE_ACCOUNT_NOTE not in everyone
