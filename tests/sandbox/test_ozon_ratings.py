from datetime import UTC, datetime, timedelta

import pytest

from marketplaces import errors
from marketplaces.ozon import OzonConnector
from marketplaces.ozon.ratings import CHAT_RATINGS
from sandbox.world import iso_utc
from service.models import OzonRating, OzonRatingFetch
from service.ozon_ratings import ozon_ratings_fetch_all
from tests.sandbox.spec_schemas import assert_matches, assert_response, component_pointer

pytestmark = pytest.mark.e2e

SELLER_SPEC = "ozon-seller-swagger-2025-08.json"
DAY_MS = 24 * 3600 * 1000


def replied_ratio_brute_force(cabinet, now_ms: int) -> float:
    """Share of buyer dialogs opened in the last 30 days with a seller message within 24 h of the first."""
    dialogs = answered = 0
    for chat in cabinet.chats.values():
        if chat.chat_type == "SELLER_SUPPORT":
            continue
        buyer = [message.created_ms for message in chat.messages if message.author == "buyer"]
        if not buyer or not now_ms - 30 * DAY_MS <= buyer[0] < now_ms:
            continue
        dialogs += 1
        replies = [m.created_ms for m in chat.messages if m.author == "seller" and m.created_ms >= buyer[0]]
        answered += bool(replies) and replies[0] - buyer[0] <= DAY_MS
    return round(100 * answered / dialogs, 1) if dialogs else 100.0


def test_rating_summary_follows_the_schema_and_derives_from_the_chats(client):
    cabinet = client.cabinet("ozon")
    response = client.ozon("/v1/rating/summary", {})
    body = assert_response(SELLER_SPEC, "/v1/rating/summary", "POST", response)

    assert response.status_code == 200
    (group,) = body["groups"]
    assert [item["rating"] for item in group["items"]] == list(CHAT_RATINGS)
    items = {item["rating"]: item for item in group["items"]}
    expected = replied_ratio_brute_force(cabinet, client.sandbox.world.now_ms())
    assert items["rating_replied_dialogs_ratio"]["current_value"] == expected
    assert items["rating_reaction_time"]["value_type"] == "TIME"
    assert items["rating_reaction_time"]["rating_direction"] == "LOWER_IS_BETTER"
    assert items["rating_reaction_time"]["current_value"] > 0
    assert body["premium"] is True


def test_rating_history_gives_one_value_per_day_with_thresholds(client):
    now = datetime.fromtimestamp(client.sandbox.world.now_ms() / 1000, tz=UTC)
    request = {
        "date_from": iso_utc(int((now - timedelta(days=3)).timestamp() * 1000)),
        "date_to": iso_utc(int(now.timestamp() * 1000)),
        "ratings": ["rating_replied_dialogs_ratio", "rating_on_time"],
        "with_premium_scores": False,
    }
    response = client.ozon("/v1/rating/history", request)
    body = assert_response(SELLER_SPEC, "/v1/rating/history", "POST", response)

    (rating,) = body["ratings"]
    assert rating["rating"] == "rating_replied_dialogs_ratio"
    assert (rating["premium_threshold"], rating["warning_threshold"], rating["danger_threshold"]) == (
        90.0,
        80.0,
        60.0,
    )
    assert [value["date_to"] for value in rating["values"]] == [
        iso_utc(int((now - timedelta(days=days)).timestamp() * 1000)) for days in (2, 1, 0)
    ]
    for value in rating["values"]:
        assert value["status"] == {
            "danger": value["value"] < 60.0,
            "premium": value["value"] >= 90.0,
            "warning": value["value"] < 80.0,
        }


def test_rating_history_without_ratings_is_rejected(client):
    response = client.ozon("/v1/rating/history", {"date_from": "2026-11-01T00:00:00Z"})

    assert response.status_code == 400
    # Only the `default` answer is documented: rpcStatus.
    assert_matches(SELLER_SPEC, component_pointer("schemas", "rpcStatus"), response.json())
    assert response.json()["code"] == 3


def connector_for(client, cabinet) -> OzonConnector:
    return OzonConnector(
        client_id=cabinet.credentials["client_id"],
        api_key=cabinet.credentials["api_key"],
        account_key="ozon:test",
        api_url=client.sandbox.urls["OZON_API_URL"],
    )


def test_connector_reads_the_sandbox_ratings_over_http(client):
    cabinet = client.cabinet("ozon")
    connector = connector_for(client, cabinet)
    now = datetime.fromtimestamp(client.sandbox.world.now_ms() / 1000, tz=UTC)

    summary = connector.rating_summary()
    histories = connector.rating_history(date_from=now - timedelta(days=2), date_to=now, ratings=CHAT_RATINGS)

    assert [item.rating for item in summary.items] == list(CHAT_RATINGS)
    assert [history.rating for history in histories] == list(CHAT_RATINGS)
    assert [len(history.points) for history in histories] == [2, 2, 2]


def test_connector_without_premium_gets_a_capability_error(client):
    cabinet = next(item for item in client.sandbox.world.cabinets_of("ozon") if not item.premium)

    with pytest.raises(errors.CapabilityError) as raised:
        connector_for(client, cabinet).rating_summary()

    assert raised.value.status == 403
    assert raised.value.message == (
        "Ozon не отдал рейтинги продавца: для них нужна подписка Premium и API-ключ с доступом к рейтингам "
        "(ответ Ozon: Access denied: seller ratings through the API are available only with a Premium "
        "subscription)"
    )


def test_daily_fetch_stores_the_sandbox_ratings(client, make_account, settings):
    cabinet = client.cabinet("ozon")
    settings.OZON_API_URL = client.sandbox.urls["OZON_API_URL"]
    account = make_account(
        "ozon",
        credentials={
            "client_id": cabinet.credentials["client_id"],
            "api_key": cabinet.credentials["api_key"],
        },
    )
    expected = {
        item["rating"]: item for item in client.ozon("/v1/rating/summary", {}).json()["groups"][0]["items"]
    }

    assert ozon_ratings_fetch_all() == 1

    stored = {rating.rating: rating for rating in OzonRating.objects.filter(account=account)}
    assert sorted(stored) == sorted(CHAT_RATINGS)
    ratio = stored["rating_replied_dialogs_ratio"]
    assert (ratio.value, ratio.status) == (
        expected["rating_replied_dialogs_ratio"]["current_value"],
        expected["rating_replied_dialogs_ratio"]["status"],
    )
    assert (ratio.premium_threshold, ratio.warning_threshold, ratio.danger_threshold) == (90.0, 80.0, 60.0)
    assert len(ratio.history) == 30
    assert OzonRatingFetch.objects.get(account=account).error == ""
