"""Issue 10: WB questions — the whole answered history on backfill, and one (editable) answer per question."""

import json
from datetime import UTC, datetime

import pytest
import responses
from django.db import transaction
from responses import matchers

from accounts.models import MarketplaceAccount, SyncState
from inbox.models import Chat, Message
from inbox.services.ingest import IngestMode, page_apply
from marketplaces import errors
from marketplaces.types import ChatKind, ChatRef, UpdatesPage
from marketplaces.wildberries import questions as questions_module
from marketplaces.wildberries.parse import question_parse
from tests.conftest import CREDENTIALS
from tests.marketplaces.conftest import NOW
from tests.marketplaces.wildberries.test_connector import EVENTS, QUESTIONS, connector, round_trip, text

QUESTION_ID = "Xq7pL0RkT2aBcDeFgHiJ"


def question(number: int, created: str, answer: str | None = "Ответ", editable: bool = True) -> dict:
    return {
        "id": f"q{number}",
        "text": f"Вопрос {number}",
        "createdDate": created,
        "state": "wbRu" if answer else "suppliersPortalSynch",
        "answer": {"text": answer, "editable": editable, "createDate": created} if answer else None,
        "productDetails": {"imtId": 1, "nmId": 14917842, "productName": "Кофе"},
        "wasViewed": True,
        "isWarned": False,
    }


def questions_body(*items: dict) -> str:
    return json.dumps(
        {
            "data": {"countUnanswered": 0, "countArchive": 6, "questions": list(items)},
            "error": False,
            "errorText": "",
            "additionalErrors": None,
        }
    )


def query(**values) -> list:
    return [matchers.query_param_matcher({key: str(value) for key, value in values.items()})]


@responses.activate
def test_backfill_walks_every_answered_question_in_date_windows(clock, monkeypatch) -> None:
    # A window holds at most take + skip = 4 here (10 000 on the real API), two per page.
    monkeypatch.setattr(questions_module, "QUESTIONS_PAGE_SIZE", 2)
    monkeypatch.setattr(questions_module, "QUESTIONS_WINDOW", 4)
    now = int(NOW)
    q4_at = int(datetime(2021, 3, 4, tzinfo=UTC).timestamp())
    responses.get(EVENTS, body=text("events_empty.json"))
    unanswered = dict(isAnswered="false", order="dateAsc", dateTo=now)
    answered = dict(isAnswered="true", order="dateAsc", dateTo=now)
    responses.get(QUESTIONS, body=questions_body(), match=query(**unanswered, take=2, skip=0))
    responses.get(
        QUESTIONS,
        body=questions_body(question(1, "2020-01-01T10:00:00Z"), question(2, "2020-06-01T10:00:00Z")),
        match=query(**answered, take=2, skip=0),
    )
    responses.get(
        QUESTIONS,
        body=questions_body(question(3, "2021-01-01T10:00:00Z"), question(4, "2021-03-04T00:00:00Z")),
        match=query(**answered, take=2, skip=2),
    )
    # The first window is full (skip + take reached 4): the next one starts at the newest question read.
    responses.get(
        QUESTIONS,
        body=questions_body(question(4, "2021-03-04T00:00:00Z"), question(5, "2023-05-05T10:00:00Z")),
        match=query(**answered, take=2, skip=0, dateFrom=q4_at),
    )
    responses.get(
        QUESTIONS,
        body=questions_body(question(6, "2026-11-01T10:00:00Z")),
        match=query(**answered, take=2, skip=2, dateFrom=q4_at),
    )
    wildberries = connector(clock)
    cursor: dict = {}
    seen: list[str] = []
    pages = 0
    while True:
        page = wildberries.fetch_history(cursor=round_trip(cursor), since=None)
        pages += 1
        seen += [message.external_id for message in page.messages]
        cursor = page.cursor
        if not page.has_more:
            break
    assert sorted(set(seen)) == [f"q{n}:{part}" for n in range(1, 7) for part in ("answer", "question")]
    assert cursor["questions_polled_at"] == NOW
    assert "questions_walk" not in cursor
    # events, unanswered, four answered pages, then the events feed once more with nothing due.
    assert [call.request.url.split("?")[0] for call in responses.calls] == [
        EVENTS,
        QUESTIONS,
        QUESTIONS,
        QUESTIONS,
        QUESTIONS,
        QUESTIONS,
        EVENTS,
    ]
    assert pages == 6


@responses.activate
def test_backfill_since_a_date_starts_both_walks_there(clock) -> None:
    since = datetime(2024, 1, 1, tzinfo=UTC)
    responses.get(EVENTS, body=text("events_empty.json"))
    window = dict(order="dateAsc", take=100, skip=0, dateFrom=int(since.timestamp()), dateTo=int(NOW))
    responses.get(QUESTIONS, body=questions_body(), match=query(isAnswered="false", **window))
    responses.get(QUESTIONS, body=questions_body(), match=query(isAnswered="true", **window))
    wildberries = connector(clock)
    first = wildberries.fetch_history(cursor={}, since=since)
    second = wildberries.fetch_history(cursor=round_trip(first.cursor), since=since)
    assert "questions_walk" not in second.cursor
    assert len(responses.calls) == 3


@responses.activate
def test_first_answer_and_edit_are_the_same_patch_and_a_locked_answer_is_refused(clock) -> None:
    body = {"id": QUESTION_ID, "answer": {"text": "Да, подойдёт."}, "state": "wbRu"}
    responses.patch(QUESTIONS, body=text("question_patched.json"), match=[matchers.json_params_matcher(body)])
    wildberries = connector(clock)
    chat_id = f"question:{QUESTION_ID}"
    first = ChatRef(external_id=chat_id, kind=ChatKind.QUESTION, extras={"question_id": QUESTION_ID})
    edit = ChatRef(
        external_id=chat_id,
        kind=ChatKind.QUESTION,
        extras={"question_id": QUESTION_ID, "answered": True, "answer_editable": True},
    )
    locked = ChatRef(
        external_id=chat_id,
        kind=ChatKind.QUESTION,
        extras={"question_id": QUESTION_ID, "answered": True, "answer_editable": False},
    )
    wildberries.send_text(chat=first, text="Да, подойдёт.")
    wildberries.send_text(chat=edit, text="Да, подойдёт.")
    with pytest.raises(errors.RequestRejectedError) as caught:
        wildberries.send_text(chat=locked, text="Да, подойдёт.")
    assert caught.value.message == (
        "Wildberries больше не даёт изменить этот ответ (изменить ответ можно один раз в течение 60 дней)"
    )
    assert len(responses.calls) == 2


def test_an_answered_question_has_one_answer_whose_id_survives_an_edit() -> None:
    chat, messages = question_parse(question(7, "2026-11-20T10:00:00Z", answer="Есть", editable=True))
    _chat, edited = question_parse(
        question(7, "2026-11-20T10:00:00Z", answer="Есть в наличии", editable=False)
    )
    assert [(m.external_id, m.author, m.text) for m in messages] == [
        ("q7:question", "buyer", "Вопрос 7"),
        ("q7:answer", "seller", "Есть"),
    ]
    assert [(m.external_id, m.text) for m in edited] == [
        ("q7:question", "Вопрос 7"),
        ("q7:answer", "Есть в наличии"),
    ]
    assert dict(chat.extras) == {"question_id": "q7", "answered": True, "answer_editable": True}
    assert dict(_chat.extras) == {"question_id": "q7", "answered": True, "answer_editable": False}
    unanswered, only_question = question_parse(question(8, "2026-11-20T10:00:00Z", answer=None))
    assert [m.external_id for m in only_question] == ["q8:question"]
    assert dict(unanswered.extras) == {"question_id": "q8", "answered": False, "answer_editable": False}


@pytest.mark.django_db
def test_an_edited_answer_updates_the_one_stored_answer() -> None:
    account = MarketplaceAccount.objects.create(
        marketplace="wildberries", name="WB", credentials=CREDENTIALS["wildberries"]
    )
    SyncState.objects.create(account=account)
    for answer in ("Есть", "Есть в наличии"):
        chat, messages = question_parse(question(9, "2026-11-20T10:00:00Z", answer=answer))
        with transaction.atomic():
            page_apply(
                account=account,
                page=UpdatesPage(chats=(chat,), messages=tuple(messages)),
                mode=IngestMode.INCREMENTAL,
            )
    stored = Chat.objects.get(account=account, external_id="question:q9")
    assert list(
        Message.objects.filter(chat=stored).order_by("created_at", "pk").values_list("external_id", "text")
    ) == [
        ("q9:question", "Вопрос 9"),
        ("q9:answer", "Есть в наличии"),
    ]
