"""Wildberries product questions (feedbacks-api) as one-question chats: the walk, one question, the answer.

Spec: specs/wb-09-communications-2026-07.yaml, tag "Вопросы": GET /api/v1/questions, GET /api/v1/question,
PATCH /api/v1/questions. Limits: 3 requests/s, burst 6, shared with feedbacks (5/hour with a Base token).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from marketplaces import errors
from marketplaces.http import HttpClient
from marketplaces.ratelimit import BucketSpec
from marketplaces.types import ChatRef, RemoteChat, RemoteMessage, SendReceipt, SkippedItem, UpdatesPage
from marketplaces.wildberries.dialect import LABEL
from marketplaces.wildberries.parse import QUESTION_PREFIX, question_parse

# wb-09-communications-2026-07.yaml, "Вопросы" → GET and PATCH /api/v1/questions.
QUESTIONS_PATH = "/api/v1/questions"
# wb-09-communications-2026-07.yaml, "Вопросы" → GET /api/v1/question?id=.
QUESTION_PATH = "/api/v1/question"
QUESTIONS_PAGE_SIZE = 100
# take + skip must stay within 10 000 (GET /api/v1/questions parameters).
QUESTIONS_WINDOW = 10_000
ANSWERED_LOOKBACK = timedelta(days=14)


def question_id_of(chat: ChatRef) -> str:
    return str(chat.extras.get("question_id") or chat.external_id.removeprefix(QUESTION_PREFIX))


class Questions:
    """The questions half of the Wildberries connector; shares its HTTP client (and so its secrets)."""

    def __init__(
        self, *, http: HttpClient, base_url: str, limit: BucketSpec, clock: Callable[[], float]
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.limit = limit
        self.clock = clock

    def walk_start(self, *, since: datetime | None = None, history: bool = False) -> dict[str, Any]:
        """The cursor of a new walk (`questions_walk`); a backfill (`history`) starts at `since`."""
        walk: dict[str, Any] = {"answered": False, "skip": 0, "started_at": self.clock()}
        if history:
            start = int(since.timestamp()) if since is not None else None
            walk.update({"history": True, "date_from": start, "first_date_from": start})
        return walk

    def question(self, *, question_id: str) -> tuple[RemoteChat, list[RemoteMessage]] | None:
        """GET /api/v1/question?id=: the question as a chat with its messages; None when WB has no data."""
        body = self.request("GET", QUESTION_PATH, params={"id": question_id})
        data = body.get("data")
        if not isinstance(data, dict):
            return None
        try:
            return question_parse(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.schema_error(marketplace=LABEL, what=QUESTION_PATH) from exc

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        idempotent = method == "GET"
        response = self.http.request(
            method,
            path,
            idempotent=idempotent,
            limits=(self.limit,),
            base_url=self.base_url,
            **kwargs,
        )
        body = response.json()
        if not isinstance(body, dict):
            raise errors.schema_error(marketplace=LABEL, what=path)
        if body.get("error") is True:
            text = self.http.scrub(str(body.get("errorText") or _("an error without a description")))
            raise errors.RequestRejectedError(
                _("%(marketplace)s rejected %(action)s%(detail)s")
                % {"marketplace": LABEL, "action": _("the request"), "detail": f": {text}"},
                status=response.status,
            )
        return body

    def page(self, state: dict[str, Any], *, before: int) -> UpdatesPage:
        """One page of the questions walk: unanswered first, then answered.

        The incremental walk reads answered questions of the last 14 days. A backfill (`history`) reads
        everything up to when it started, oldest first, in date windows: take + skip may not exceed
        10 000, so when a window is full the next one starts at the newest question read so far.
        """
        walk = dict(state["questions_walk"])
        answered = bool(walk.get("answered"))
        history = bool(walk.get("history"))
        skip = int(walk.get("skip") or 0)
        take = min(QUESTIONS_PAGE_SIZE, QUESTIONS_WINDOW - skip)
        started_at = float(walk.get("started_at") or self.clock())
        params: dict[str, Any] = {
            "isAnswered": "true" if answered else "false",
            "take": take,
            "skip": skip,
            "order": "dateDesc" if answered and not history else "dateAsc",
        }
        if history:
            if walk.get("date_from") is not None:
                params["dateFrom"] = int(walk["date_from"])
            params["dateTo"] = int(started_at)
        elif answered:
            started = datetime.fromtimestamp(started_at, UTC)
            params["dateFrom"] = int((started - ANSWERED_LOOKBACK).timestamp())
        body = self.request("GET", QUESTIONS_PATH, params=params)
        data = body.get("data")
        questions = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(questions, list):
            raise errors.schema_error(marketplace=LABEL, what="/api/v1/questions")
        chats: list[RemoteChat] = []
        messages: list[RemoteMessage] = []
        skipped: list[SkippedItem] = []
        for question in questions:
            try:
                chat, question_messages = question_parse(question)
            except (KeyError, TypeError, ValueError) as exc:
                reference = question.get("id", "") if isinstance(question, dict) else ""
                skipped.append(
                    SkippedItem(
                        reason=_("Wildberries question not parsed: %(error)s") % {"error": exc},
                        reference=str(reference),
                    )
                )
                continue
            chats.append(chat)
            messages.extend(question_messages)
        skip += len(questions)
        window_full = len(questions) == take and skip >= QUESTIONS_WINDOW
        newest = max((chat.created_at for chat in chats if chat.created_at is not None), default=None)
        if history and window_full and newest is not None:
            # Questions of the boundary second are read again; the upsert makes that harmless.
            previous_from = walk.get("date_from")
            date_from = int(newest.timestamp())
            if previous_from is not None and date_from <= int(previous_from):
                date_from = int(previous_from) + 1
            state["questions_walk"] = {**walk, "skip": 0, "date_from": date_from}
        elif len(questions) < take or skip >= QUESTIONS_WINDOW:
            if answered:
                state.pop("questions_walk", None)
                state["questions_polled_at"] = started_at
            else:
                next_walk = {**walk, "answered": True, "skip": 0}
                if history:
                    next_walk["date_from"] = walk.get("first_date_from")
                state["questions_walk"] = next_walk
        else:
            state["questions_walk"] = {**walk, "skip": skip}
        return UpdatesPage(
            chats=tuple(chats),
            messages=tuple(messages),
            cursor=state,
            has_more=True,
            skipped=tuple(skipped),
            requests_made=self.http.requests_made - before,
        )

    def answer(self, *, chat: ChatRef, text: str) -> SendReceipt:
        """A question has one answer. PATCH /api/v1/questions with state wbRu gives the first answer and
        replaces an existing one ("AnswerQuestionOrEditAnswer": the same body); WB allows one edit within
        60 days and says so in `answer.editable`, so an answer it no longer lets us edit is refused here."""
        if chat.extras.get("answered") and not chat.extras.get("answer_editable", True):
            raise errors.RequestRejectedError(
                _("Wildberries no longer lets this answer be edited (one edit within 60 days of answering)")
            )
        question_id = question_id_of(chat)
        self.request(
            "PATCH",
            QUESTIONS_PATH,
            json_body={"id": question_id, "answer": {"text": text}, "state": "wbRu"},
            action=_("the question answer"),
        )
        return SendReceipt(sent_at=datetime.fromtimestamp(self.clock(), UTC))
