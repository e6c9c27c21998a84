import json
import time

import pytest

from sandbox import assets, tokens
from sandbox.world import MODERATION_PENDING, MODERATION_READY, MODERATION_REJECTED
from tests.sandbox.spec_schemas import (
    WILDBERRIES_GENERAL_SPEC,
    WILDBERRIES_SPEC,
    assert_response,
)

pytestmark = pytest.mark.e2e


def test_chats_match_the_official_schema_and_the_world(client):
    response = client.wildberries("GET", "/api/v1/seller/chats")

    assert response.status_code == 200
    body = assert_response(WILDBERRIES_SPEC, "/api/v1/seller/chats", "GET", response)
    cabinet = client.cabinet("wildberries")
    assert {item["chatID"] for item in body["result"]} == set(cabinet.chats)
    first = body["result"][0]
    chat = cabinet.chats[first["chatID"]]
    assert first["replySign"] == chat.reply_sign
    assert first["chatID"].startswith("1:")
    assert first["lastMessage"]["addTimestamp"] == chat.messages[-1].created_ms
    assert body["errors"] is None
    assert int(response.headers["X-Ratelimit-Remaining"]) == 9


def test_events_page_forward_until_empty_without_gaps_or_repeats(client):
    cabinet = client.cabinet("wildberries")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"next": cursor} if cursor else {}
        response = client.wildberries("GET", "/api/v1/seller/events", params=params)
        body = assert_response(WILDBERRIES_SPEC, "/api/v1/seller/events", "GET", response)["result"]
        assert body["totalEvents"] == len(body["events"])
        if body["totalEvents"] == 0:
            assert body["next"] == cursor
            break
        times = [event["addTimestamp"] for event in body["events"]]
        assert times == sorted(times) and body["next"] == times[-1]
        assert cursor is None or times[0] > cursor
        seen.extend(event["eventID"] for event in body["events"])
        cursor, pages = body["next"], pages + 1
        time.sleep(0.11)  # stay inside 10 requests / 10 s burst refill
    assert seen == [message.message_id for message in cabinet.events]
    assert len(seen) == len(set(seen))
    assert pages == -(-len(seen) // 25)


def test_new_chat_event_carries_reply_sign_and_good_card(client):
    events = client.wildberries("GET", "/api/v1/seller/events").json()["result"]["events"]
    opening = next(event for event in events if event.get("isNewChat"))
    chat = client.cabinet("wildberries").chats[opening["chatID"]]
    assert opening["replySign"] == chat.reply_sign
    assert opening["message"]["attachments"]["goodCard"]["nmID"] == chat.product.sku
    assert opening["sender"] == "client" and opening["clientName"] == chat.buyer_name
    follow_ups = [event for event in events if not event.get("isNewChat")]
    assert all("replySign" not in event for event in follow_ups)


@pytest.mark.parametrize(("value", "detail"), [("0", 'Invalid value for "next"'), ("abc", "Invalid number")])
def test_events_reject_a_bad_cursor(client, value, detail):
    response = client.wildberries("GET", "/api/v1/seller/events", params={"next": value})

    assert response.status_code == 400
    body = assert_response(WILDBERRIES_SPEC, "/api/v1/seller/events", "GET", response)
    assert body["detail"] == detail and body["origin"] == "proxy-chats" and body["status"] == 400


def test_reply_is_echoed_as_a_seller_event_and_recorded(client):
    cabinet = client.cabinet("wildberries")
    chat = next(iter(cabinet.chats.values()))
    newest = cabinet.event_times[-1]

    response = client.wildberries(
        "POST",
        "/api/v1/seller/message",
        files={"replySign": (None, chat.reply_sign), "message": (None, "Здравствуйте! Отправили замену.")},
    )

    body = assert_response(WILDBERRIES_SPEC, "/api/v1/seller/message", "POST", response)
    assert body["result"]["chatID"] == chat.chat_id
    assert body["result"]["sign"] == chat.reply_sign
    assert body["errors"] == []
    events = client.wildberries("GET", "/api/v1/seller/events", params={"next": newest}).json()["result"][
        "events"
    ]
    assert len(events) == 1
    echo = events[0]
    assert echo["sender"] == "seller" and echo["source"] == "seller-public-api"
    assert echo["message"]["text"] == "Здравствуйте! Отправили замену."
    assert echo["addTimestamp"] == body["result"]["addTime"]
    replies = client.control("GET", "/replies?marketplace=wildberries")["replies"]
    assert [reply["text"] for reply in replies] == ["Здравствуйте! Отправили замену."]


def test_reply_with_files_checks_type_and_size(client):
    chat = next(iter(client.cabinet("wildberries").chats.values()))
    sign = (None, chat.reply_sign)

    accepted = client.wildberries(
        "POST",
        "/api/v1/seller/message",
        files=[
            ("replySign", sign),
            ("file", ("чек.pdf", assets.pdf_bytes(), "application/pdf")),
            ("file", ("фото.png", assets.png_bytes(), "image/png")),
        ],
    )
    video = client.wildberries(
        "POST",
        "/api/v1/seller/message",
        files=[("replySign", sign), ("file", ("video.mp4", b"\x00\x00\x00 ftypmp42", "video/mp4"))],
    )
    huge = client.wildberries(
        "POST",
        "/api/v1/seller/message",
        files=[
            ("replySign", sign),
            ("file", ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf")),
        ],
    )

    assert accepted.status_code == 200
    assert [len(reply["attachments"]) for reply in client.sandbox.world.cabinets[0].replies] == [2]
    assert video.status_code == 400 and video.json()["detail"].endswith(
        '"video.mp4" has unsupported mime type'
    )
    assert video.headers["Content-Type"].startswith("application/problem+json")
    assert huge.status_code == 400 and huge.json()["detail"].endswith("attachment too big. Max size: 5MiB")
    assert_response(WILDBERRIES_SPEC, "/api/v1/seller/message", "POST", huge, "application/problem+json")


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"replySign": "1:not-a-sign", "message": "Привет"}, "Invalid signature"),
        ({"message": "Привет"}, "Invalid signature"),
        (None, 'Invalid value for "message"'),
    ],
)
def test_reply_validation_errors(client, fields, detail):
    chat = next(iter(client.cabinet("wildberries").chats.values()))
    fields = fields or {"replySign": chat.reply_sign, "message": "я" * 1001}

    response = client.wildberries(
        "POST", "/api/v1/seller/message", files={key: (None, value) for key, value in fields.items()}
    )

    assert response.status_code == 400
    body = assert_response(
        WILDBERRIES_SPEC, "/api/v1/seller/message", "POST", response, "application/problem+json"
    )
    assert body["detail"] == detail == body["error"]
    assert client.sandbox.world.cabinets[0].replies == []


def test_download_answers_by_moderation_state(client):
    cabinet = client.cabinet("wildberries")
    by_state = {}
    for attachment in client.sandbox.world.attachments.values():
        if attachment.owner == cabinet.key:
            by_state.setdefault(attachment.moderation, attachment)
    assert set(by_state) == {MODERATION_READY, MODERATION_PENDING, MODERATION_REJECTED}

    ready = client.wildberries("GET", f"/api/v1/seller/download/{by_state[MODERATION_READY].attachment_id}")
    pending = client.wildberries(
        "GET", f"/api/v1/seller/download/{by_state[MODERATION_PENDING].attachment_id}"
    )
    rejected = client.wildberries(
        "GET", f"/api/v1/seller/download/{by_state[MODERATION_REJECTED].attachment_id}"
    )
    unknown = client.wildberries("GET", "/api/v1/seller/download/nope")

    assert ready.status_code == 200 and ready.content == by_state[MODERATION_READY].content
    assert ready.headers["Content-Type"] in ("application/pdf", "image/png", "image/jpeg")
    path = "/api/v1/seller/download/{id}"
    assert assert_response(WILDBERRIES_SPEC, path, "GET", pending) == {
        "moderationState": "pending",
        "retrySeconds": 30,
    }
    assert (
        assert_response(WILDBERRIES_SPEC, path, "GET", rejected, "application/problem+json")["status"] == 451
    )
    assert assert_response(WILDBERRIES_SPEC, path, "GET", unknown)["detail"] == "invalid fileID"


def test_attachment_urls_serve_real_files(client):
    events = client.wildberries("GET", "/api/v1/seller/events").json()["result"]["events"]
    files = [
        item for event in events for item in event.get("message", {}).get("attachments", {}).get("files", [])
    ]
    images = [
        item for event in events for item in event.get("message", {}).get("attachments", {}).get("images", [])
    ]
    assert files or images
    ready = {
        key for key, item in client.sandbox.world.attachments.items() if item.moderation == MODERATION_READY
    }
    for item in files:
        response = client.http.get(item["url"], timeout=5)
        if item["downloadID"] not in ready:  # still in moderation or rejected: not on the CDN
            assert response.status_code == 404
            continue
        assert response.content.startswith(b"%PDF-") and len(response.content) == item["size"]
    for item in images:
        response = client.http.get(item["url"], timeout=5)
        if item["downloadID"] not in ready:
            assert response.status_code == 404
            continue
        assert response.content.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))


@pytest.mark.parametrize(
    ("token", "detail_start"),
    [
        ("", "empty Authorization header"),
        ("not-a-jwt", "token problem; token is malformed"),
        ("eyJhbGciOiJFUzI1NiJ9.eyJhY2MiOjMsInMiOjUxMiwic2lkIjoieCJ9.c2ln", "token problem; token signature"),
    ],
)
def test_unknown_tokens_get_a_problem_401(client, token, detail_start):
    response = client.wildberries("GET", "/api/v1/seller/chats", token=token)

    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = assert_response(
        WILDBERRIES_SPEC, "/api/v1/seller/chats", "GET", response, "application/problem+json"
    )
    assert body["detail"].startswith(detail_start) and body["title"] == "unauthorized"


def test_bearer_prefix_is_accepted(client):
    token = client.cabinet("wildberries").credentials["token"]
    assert client.wildberries("GET", "/api/v1/seller/chats", token=f"Bearer {token}").status_code == 200


def test_token_bucket_429_with_headers(client):
    statuses = [client.wildberries("GET", "/api/v1/seller/chats") for _ in range(11)]

    assert [response.status_code for response in statuses[:10]] == [200] * 10
    limited = statuses[10]
    assert limited.status_code == 429
    assert limited.headers["X-Ratelimit-Limit"] == "10"
    assert int(limited.headers["X-Ratelimit-Retry"]) >= 1
    assert 1 <= int(limited.headers["X-Ratelimit-Reset"]) <= 10
    assert "X-Ratelimit-Remaining" not in limited.headers
    body = assert_response(
        WILDBERRIES_SPEC, "/api/v1/seller/chats", "GET", limited, "application/problem+json"
    )
    assert body["status"] == 429 and body["title"] == "too many requests"
    assert (
        client.wildberries(
            "GET", "/api/v1/seller/chats", cabinet=client.cabinet("wildberries", 1)
        ).status_code
        == 200
    )


def test_base_token_gets_one_request_per_hour(client):
    base = next(
        cabinet for cabinet in client.sandbox.world.cabinets_of("wildberries") if cabinet.token_type == 1
    )
    first = client.wildberries("GET", "/api/v1/seller/chats", cabinet=base)
    second = client.wildberries("GET", "/api/v1/seller/chats", cabinet=base)

    assert first.status_code == 200 and second.status_code == 429
    assert int(second.headers["X-Ratelimit-Retry"]) > 3000


def test_ping_matches_the_general_spec(client):
    response = client.wildberries("GET", "/ping")
    body = assert_response(WILDBERRIES_GENERAL_SPEC, "/ping", "GET", response)
    assert body["Status"] == "OK"


def test_questions_paging_filters_and_envelope(client):
    cabinet = client.cabinet("wildberries")
    params = {"isAnswered": "false", "take": 2, "skip": 0, "order": "dateAsc"}

    first = client.wildberries("GET", "/api/v1/questions", host="feedbacks", params=params)
    second = client.wildberries("GET", "/api/v1/questions", host="feedbacks", params={**params, "skip": 2})
    answered = client.wildberries(
        "GET", "/api/v1/questions", host="feedbacks", params={"isAnswered": "true", "take": 100, "skip": 0}
    )

    page_one = assert_response(WILDBERRIES_SPEC, "/api/v1/questions", "GET", first)
    page_two = assert_response(WILDBERRIES_SPEC, "/api/v1/questions", "GET", second)
    archive = assert_response(WILDBERRIES_SPEC, "/api/v1/questions", "GET", answered)
    unanswered = sorted(
        (item for item in cabinet.questions if item.state == "suppliersPortalSynch"),
        key=lambda item: item.created_ms,
    )
    got = [item["id"] for item in page_one["data"]["questions"] + page_two["data"]["questions"]]
    assert got == [item.question_id for item in unanswered[:4]]
    assert page_one["data"]["countUnanswered"] == len(unanswered)
    assert page_one["error"] is False and page_one["errorText"] == ""
    assert {item["state"] for item in archive["data"]["questions"]} <= {"wbRu", "none"}
    assert (
        archive["data"]["countArchive"]
        == len(archive["data"]["questions"])
        == len(cabinet.questions) - len(unanswered)
    )
    assert all(item["answer"]["text"] for item in archive["data"]["questions"])
    assert int(first.headers["X-Ratelimit-Remaining"]) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"take": 10, "skip": 0},
        {"isAnswered": "maybe", "take": 10, "skip": 0},
        {"isAnswered": "false", "take": 9000, "skip": 1001},
        {"isAnswered": "false", "skip": 0},
    ],
)
def test_questions_reject_bad_parameters(client, params):
    response = client.wildberries("GET", "/api/v1/questions", host="feedbacks", params=params)

    assert response.status_code == 400
    body = assert_response(WILDBERRIES_SPEC, "/api/v1/questions", "GET", response)
    assert body["error"] is True and body["data"] is None and body["errorText"]


def test_question_answer_view_reject_and_single_edit(client):
    cabinet = client.cabinet("wildberries")
    question = next(item for item in cabinet.questions if item.state == "suppliersPortalSynch")

    def patch(body):
        return client.wildberries("PATCH", "/api/v1/questions", host="feedbacks", json=body)

    viewed = patch({"id": question.question_id, "wasViewed": True})
    answered = patch({"id": question.question_id, "answer": {"text": "Да, есть в чёрном."}, "state": "wbRu"})
    edited = patch(
        {"id": question.question_id, "answer": {"text": "Да, есть в чёрном и белом."}, "state": "wbRu"}
    )
    edited_again = patch({"id": question.question_id, "answer": {"text": "Третья правка"}, "state": "wbRu"})
    missing = patch({"id": "nope", "wasViewed": True})
    invalid = patch({"id": question.question_id, "answer": {"text": "x"}, "state": "maybe"})

    for response in (viewed, answered, edited, edited_again, missing, invalid):
        assert_response(WILDBERRIES_SPEC, "/api/v1/questions", "PATCH", response)
    assert [viewed.status_code, answered.status_code, edited.status_code] == [200, 200, 200]
    assert (
        edited_again.status_code == 422
        and edited_again.json()["errorText"] == "Не удалось отредактировать вопрос"
    )
    assert missing.status_code == 404 and invalid.status_code == 400
    assert question.state == "wbRu" and question.answer_text == "Да, есть в чёрном и белом."
    assert [reply["kind"] for reply in cabinet.replies] == ["question", "question"]


def test_token_scopes_decide_which_host_answers(client):
    cabinet = client.cabinet("wildberries", 1)
    cabinet.credentials["token"] = tokens.token_create(
        token_id="t",
        seller_id=cabinet.external_id,
        token_type=tokens.TOKEN_TYPE_PERSONAL,
        scopes=1 << tokens.SCOPE_BUYERS_CHAT,
        expires_at=int(time.time()) + 3600,
        signature=b"s",
    )

    chats = client.wildberries("GET", "/api/v1/seller/chats", cabinet=cabinet)
    questions = client.wildberries(
        "GET",
        "/api/v1/questions",
        host="feedbacks",
        cabinet=cabinet,
        params={"isAnswered": "false", "take": 1, "skip": 0},
    )

    assert chats.status_code == 200
    assert questions.status_code == 401
    assert questions.json()["detail"] == "token scope not allowed for this API route"


def test_questions_have_their_own_bucket(client):
    responses = [
        client.wildberries(
            "GET", "/api/v1/questions", host="feedbacks", params={"isAnswered": "false", "take": 1, "skip": 0}
        )
        for _ in range(7)
    ]
    assert [response.status_code for response in responses] == [200] * 6 + [429]
    assert responses[-1].headers["X-Ratelimit-Limit"] == "6"
    assert json.loads(responses[-1].content)["status"] == 429
    assert client.wildberries("GET", "/api/v1/seller/chats").status_code == 200
