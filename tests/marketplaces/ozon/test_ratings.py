import json
from datetime import UTC, datetime

import pytest
import responses
from django.utils import translation

from marketplaces import errors
from marketplaces.ozon import OzonConnector
from marketplaces.ozon.ratings import CHAT_RATINGS, RatingHistory, RatingItem, RatingPoint
from tests.marketplaces.conftest import OZON_API_KEY, OZON_CLIENT_ID, OZON_URL, fixture_text

SUMMARY = f"{OZON_URL}/v1/rating/summary"
HISTORY = f"{OZON_URL}/v1/rating/history"


def connector(clock) -> OzonConnector:
    return OzonConnector(
        client_id=OZON_CLIENT_ID,
        api_key=OZON_API_KEY,
        account_key="ozon:1",
        api_url=OZON_URL,
        clock=clock,
        sleep=clock.sleep,
    )


def test_rating_summary_posts_an_empty_body_with_ozon_headers_and_parses_every_group(clock) -> None:
    with responses.RequestsMock() as mocked:
        mocked.post(SUMMARY, body=fixture_text("ozon", "rating_summary.json"))
        summary = connector(clock).rating_summary()
        request = mocked.calls[0].request

    assert json.loads(request.body) == {}
    assert (request.headers["Client-Id"], request.headers["Api-Key"]) == (OZON_CLIENT_ID, OZON_API_KEY)
    assert (summary.premium, summary.premium_plus, summary.penalty_score_exceeded) == (True, False, False)
    assert summary.items == (
        RatingItem(
            group_name="Работа с покупателями",
            rating="rating_reaction_time",
            name="Время реакции",
            current_value=42.5,
            past_value=51.0,
            status="OK",
            value_type="TIME",
            rating_direction="LOWER_IS_BETTER",
            change_direction="DIRECTION_FALL",
            change_meaning="MEANING_GOOD",
        ),
        RatingItem(
            group_name="Работа с покупателями",
            rating="rating_replied_dialogs_ratio",
            name="Доля ответов за 24 часа",
            current_value=88.2,
            past_value=88.2,
            status="WARNING",
            value_type="PERCENT",
            rating_direction="HIGHER_IS_BETTER",
            change_direction="DIRECTION_NONE",
            change_meaning="MEANING_NONE",
        ),
        RatingItem(
            group_name="Логистика",
            rating="rating_on_time",
            name="Доставка вовремя",
            current_value=97.1,
            past_value=96.4,
            status="OK",
            value_type="PERCENT",
            rating_direction="HIGHER_IS_BETTER",
            change_direction="DIRECTION_RISE",
            change_meaning="MEANING_GOOD",
        ),
    )


def test_rating_history_sends_the_documented_body_and_parses_thresholds_and_points(clock) -> None:
    with responses.RequestsMock() as mocked:
        mocked.post(HISTORY, body=fixture_text("ozon", "rating_history.json"))
        histories = connector(clock).rating_history(
            date_from=datetime(2026, 10, 25, 12, tzinfo=UTC),
            date_to=datetime(2026, 11, 24, 12, tzinfo=UTC),
            ratings=CHAT_RATINGS,
        )
        body = json.loads(mocked.calls[0].request.body)

    assert body == {
        "date_from": "2026-10-25T12:00:00Z",
        "date_to": "2026-11-24T12:00:00Z",
        "ratings": ["rating_reaction_time", "rating_average_response_time", "rating_replied_dialogs_ratio"],
        "with_premium_scores": False,
    }
    assert histories == (
        RatingHistory(
            rating="rating_reaction_time",
            danger_threshold=720.0,
            premium_threshold=60.0,
            warning_threshold=240.0,
            points=(
                RatingPoint(
                    date_from=datetime(2026, 10, 24, 12, tzinfo=UTC),
                    date_to=datetime(2026, 11, 23, 12, tzinfo=UTC),
                    value=51.0,
                    danger=False,
                    premium=True,
                    warning=False,
                ),
                RatingPoint(
                    date_from=datetime(2026, 10, 25, 12, tzinfo=UTC),
                    date_to=datetime(2026, 11, 24, 12, tzinfo=UTC),
                    value=42.5,
                    danger=False,
                    premium=True,
                    warning=False,
                ),
            ),
        ),
    )


@pytest.mark.parametrize("status", [403, 404])
def test_ratings_unavailable_is_a_capability_error_in_russian(clock, status) -> None:
    with responses.RequestsMock() as mocked:
        mocked.post(SUMMARY, status=status, json={"code": 7, "message": "access denied", "details": []})
        with translation.override("ru"), pytest.raises(errors.CapabilityError) as raised:
            connector(clock).rating_summary()

    assert raised.value.status == status
    assert raised.value.message == (
        "Ozon не отдал рейтинги продавца: для них нужна подписка Premium и API-ключ с доступом "
        "к рейтингам (ответ Ozon: access denied)"
    )
    assert OZON_API_KEY not in raised.value.message


def test_invalid_api_key_stays_an_auth_error(clock) -> None:
    with responses.RequestsMock() as mocked:
        mocked.post(HISTORY, status=403, json={"code": 7, "message": "Invalid Api-Key, please check the key"})
        with pytest.raises(errors.AuthError):
            connector(clock).rating_history(
                date_from=datetime(2026, 11, 1, tzinfo=UTC),
                date_to=datetime(2026, 11, 2, tzinfo=UTC),
                ratings=["x"],
            )


def test_a_summary_with_groups_not_a_list_is_a_schema_error(clock) -> None:
    with responses.RequestsMock() as mocked:
        mocked.post(SUMMARY, json={"groups": {"items": []}})
        with pytest.raises(errors.UnexpectedResponseError):
            connector(clock).rating_summary()
