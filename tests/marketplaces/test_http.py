import logging

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from marketplaces import errors
from marketplaces.http import Dialect, HttpClient, Response, seconds_header
from marketplaces.ratelimit import BucketSpec
from tests.marketplaces.conftest import FakeClock, no_jitter

BASE = "https://api.example.test"
SECRET = "super-secret-key-0123456789"


def dialect() -> Dialect:
    def error_text(response: Response) -> str:
        try:
            return str(response.json().get("message", ""))
        except errors.UnexpectedResponseError:
            return ""

    return Dialect(
        label="Маркет",
        error_text=error_text,
        retry_after=lambda response, now: seconds_header(response, "Retry-After"),
    )


@pytest.fixture
def client(clock: FakeClock) -> HttpClient:
    return HttpClient(
        base_url=BASE,
        dialect=dialect(),
        account_key="test:1",
        headers={"Api-Key": SECRET},
        secrets=(SECRET,),
        clock=clock,
        sleep=clock.sleep,
        jitter=no_jitter,
    )


@responses.activate
def test_returns_response_and_sends_timeouts(client: HttpClient) -> None:
    responses.post(f"{BASE}/v1/thing", json={"ok": True, "id": 3000000000817031942})
    seen_timeouts = []
    original = client.session.request

    def spy(*args, **kwargs):
        seen_timeouts.append(kwargs["timeout"])
        return original(*args, **kwargs)

    client.session.request = spy
    response = client.request("POST", "/v1/thing", idempotent=True, json_body={"a": 1})
    assert response.status == 200
    assert response.json() == {"ok": True, "id": 3000000000817031942}
    assert seen_timeouts == [(5.0, 30.0)]
    assert responses.calls[0].request.headers["Api-Key"] == SECRET


@responses.activate
def test_retries_5xx_for_idempotent_requests_with_full_jitter_backoff(client: HttpClient, clock) -> None:
    responses.get(f"{BASE}/x", status=503, json={"message": "busy"})
    responses.get(f"{BASE}/x", status=502, json={"message": "busy"})
    responses.get(f"{BASE}/x", json={"ok": True})
    assert client.request("GET", "/x", idempotent=True).json() == {"ok": True}
    assert len(responses.calls) == 3
    # no_jitter returns the ceiling: 0.5 * 2**0, 0.5 * 2**1
    assert clock.sleeps == [0.5, 1.0]


@responses.activate
def test_gives_up_after_max_attempts_with_transient_error(client: HttpClient) -> None:
    responses.get(f"{BASE}/x", status=500, json={"message": "Internal error"})
    with pytest.raises(errors.TransientError) as caught:
        client.request("GET", "/x", idempotent=True)
    assert type(caught.value) is errors.TransientError
    assert caught.value.message == "Маркет временно недоступен (HTTP 500): Internal error"
    assert len(responses.calls) == 3


@responses.activate
def test_never_retries_a_send_after_5xx(client: HttpClient) -> None:
    responses.post(f"{BASE}/send", status=500, json={"message": "Internal error"})
    with pytest.raises(errors.DeliveryUnknownError):
        client.request("POST", "/send", idempotent=False, json_body={"text": "Привет"})
    assert len(responses.calls) == 1


@responses.activate
def test_read_timeout_on_send_is_delivery_unknown_without_retry(client: HttpClient) -> None:
    responses.post(f"{BASE}/send", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(errors.DeliveryUnknownError) as caught:
        client.request("POST", "/send", idempotent=False, json_body={"text": "Привет"})
    assert "ответ не получен" in caught.value.message
    assert len(responses.calls) == 1


@responses.activate
def test_connection_reset_on_send_is_delivery_unknown(client: HttpClient) -> None:
    responses.post(f"{BASE}/send", body=requests.exceptions.ConnectionError("Connection aborted"))
    with pytest.raises(errors.DeliveryUnknownError):
        client.request("POST", "/send", idempotent=False)
    assert len(responses.calls) == 1


@responses.activate
def test_connect_failure_on_send_is_retried_because_nothing_left(client: HttpClient) -> None:
    refused = requests.exceptions.ConnectionError(NewConnectionError(None, "Connection refused"))
    responses.post(f"{BASE}/send", body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.post(f"{BASE}/send", body=refused)
    responses.post(f"{BASE}/send", json={"result": "success"})
    assert client.request("POST", "/send", idempotent=False).json() == {"result": "success"}
    assert len(responses.calls) == 3


@responses.activate
def test_connect_failures_exhausted_raise_transient_not_delivery_unknown(client: HttpClient) -> None:
    responses.post(f"{BASE}/send", body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(errors.TransientError) as caught:
        client.request("POST", "/send", idempotent=False)
    assert not isinstance(caught.value, errors.DeliveryUnknownError)
    assert len(responses.calls) == 3


@responses.activate
def test_read_timeout_on_idempotent_request_is_retried_then_transient(client: HttpClient) -> None:
    responses.get(f"{BASE}/x", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(errors.TransientError) as caught:
        client.request("GET", "/x", idempotent=True)
    assert caught.value.message == "Маркет: сервер не ответил вовремя"
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (401, errors.AuthError),
        (403, errors.CapabilityError),
        (400, errors.RequestRejectedError),
        (404, errors.RequestRejectedError),
        (409, errors.RequestRejectedError),
        (422, errors.RequestRejectedError),
    ],
)
@responses.activate
def test_maps_4xx_without_retry(client: HttpClient, status: int, error_class: type) -> None:
    responses.get(f"{BASE}/x", status=status, json={"message": "Причина от маркетплейса"})
    with pytest.raises(error_class) as caught:
        client.request("GET", "/x", idempotent=True)
    assert caught.value.status == status
    assert "Причина от маркетплейса" in caught.value.message
    assert len(responses.calls) == 1


@responses.activate
def test_rate_limit_with_long_retry_after_raises_without_sleeping(client: HttpClient, clock) -> None:
    responses.get(f"{BASE}/x", status=429, json={"message": "slow down"}, headers={"Retry-After": "30"})
    with pytest.raises(errors.RateLimitedError) as caught:
        client.request("GET", "/x", idempotent=True)
    assert caught.value.retry_after == 30.0
    assert clock.sleeps == []
    assert len(responses.calls) == 1


@responses.activate
def test_rate_limit_with_short_retry_after_sleeps_and_retries(client: HttpClient, clock) -> None:
    responses.get(f"{BASE}/x", status=429, json={"message": "slow down"}, headers={"Retry-After": "1"})
    responses.get(f"{BASE}/x", json={"ok": True})
    assert client.request("GET", "/x", idempotent=True).json() == {"ok": True}
    assert clock.sleeps == [1.0]


@responses.activate
def test_truncated_json_is_unexpected_response(client: HttpClient) -> None:
    responses.get(f"{BASE}/x", body='{"chats": [{"chat_id": "a"', content_type="application/json")
    response = client.request("GET", "/x", idempotent=True)
    with pytest.raises(errors.UnexpectedResponseError):
        response.json()


@responses.activate
def test_oversized_response_is_rejected(clock) -> None:
    small = HttpClient(
        base_url=BASE, dialect=dialect(), account_key="k", max_response_bytes=1024, clock=clock
    )
    responses.get(f"{BASE}/x", body=b"x" * 5000)
    with pytest.raises(errors.UnexpectedResponseError) as caught:
        small.request("GET", "/x", idempotent=True)
    assert "больше" in caught.value.message


@responses.activate
def test_secret_never_in_messages_or_logs(client: HttpClient, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    responses.get(f"{BASE}/x", status=401, json={"message": f"key {SECRET} is invalid"})
    with pytest.raises(errors.AuthError) as caught:
        client.request("GET", "/x", idempotent=True, params={"chatId": "1"})
    assert SECRET not in caught.value.message
    assert SECRET not in str(caught.value)
    assert "***" in caught.value.message
    assert SECRET not in caplog.text
    assert "GET /x -> 401" in caplog.text
    assert "chatId" not in caplog.text


@pytest.mark.django_db
@responses.activate
def test_rate_limited_answer_blocks_the_bucket_for_other_processes(limiter, clock) -> None:
    spec = BucketSpec(name="group", capacity=10, refill_per_second=1)
    first = HttpClient(
        base_url=BASE, dialect=dialect(), account_key="acc", limiter=limiter, clock=clock, sleep=clock.sleep
    )
    responses.get(f"{BASE}/x", status=429, json={}, headers={"Retry-After": "20"})
    with pytest.raises(errors.RateLimitedError):
        first.request("GET", "/x", idempotent=True, limits=(spec,))
    second = HttpClient(
        base_url=BASE, dialect=dialect(), account_key="acc", limiter=limiter, clock=clock, sleep=clock.sleep
    )
    with pytest.raises(errors.RateLimitedError) as caught:
        second.request("GET", "/x", idempotent=True, limits=(spec,))
    assert caught.value.retry_after == 20.0
    assert len(responses.calls) == 1
