"""Secret masking in marketplace error texts: whole secret values only, never parts of ordinary words."""

import pytest
import responses

from marketplaces import errors
from marketplaces.http import Dialect, HttpClient, Response, body_json_or_none, seconds_header

BASE = "https://api.example.test"


def make_client(*secrets: str) -> HttpClient:
    def error_text(response: Response) -> str:
        body = body_json_or_none(response)
        return str(body.get("message", "")) if isinstance(body, dict) else ""

    return HttpClient(
        base_url=BASE,
        dialect=Dialect(
            label="Маркет",
            error_text=error_text,
            retry_after=lambda response, now: seconds_header(response, "Retry-After"),
        ),
        account_key="test:scrub",
        secrets=secrets,
        max_attempts=1,
    )


@pytest.mark.parametrize(
    ("secrets", "text", "expected"),
    [
        # The reported defect: a one-letter api_key masked letters inside words.
        (("k",), "Invalid Api-Key, please check the key", "Invalid Api-Key, please check the key"),
        (("k",), "key k is invalid", "key *** is invalid"),
        (("123456",), "client 1234567 is not 123456", "client 1234567 is not ***"),
        (("ACMA:secret-1",), "bad key 'ACMA:secret-1'.", "bad key '***'."),
        (("s3cr3t",), "token=s3cr3t&x=s3cr3t2", "token=***&x=s3cr3t2"),
        # A longer secret containing a shorter one is masked whole.
        (("abc", "abc-def"), "got abc-def and abc", "got *** and ***"),
        # Edges that are not word characters need no boundary.
        (("-key-",), "x-key-y", "x***y"),
        (("",), "nothing to mask", "nothing to mask"),
        # A long secret is masked even where it continues a word (a bot token in a URL path).
        (("7000000001:AAH-long-token",), "POST /bot7000000001:AAH-long-token/x", "POST /bot***/x"),
    ],
)
def test_scrub_masks_whole_secret_values_only(secrets, text, expected):
    assert make_client(*secrets).scrub(text) == expected


@responses.activate
def test_error_message_keeps_ordinary_words_with_a_short_secret():
    responses.get(f"{BASE}/x", status=401, json={"message": "Invalid Api-Key, please check the key k"})
    with pytest.raises(errors.AuthError) as caught:
        make_client("k").request("GET", "/x", idempotent=True)
    assert caught.value.message.endswith(": Invalid Api-Key, please check the key ***")
