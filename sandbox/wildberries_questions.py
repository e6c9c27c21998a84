"""Fake Wildberries questions API (feedbacks-api host): list, one question, count, answer.

Source of truth: specs/wb-09-communications-2026-07.yaml, tag "Вопросы".
"""

from datetime import UTC, datetime
from typing import Any

from sandbox import tokens
from sandbox.web import Request, Response, Route, json_response
from sandbox.wildberries import WildberriesApp
from sandbox.world import AUTHOR_SELLER, Cabinet, Message, Product, Question, iso_utc

QUESTIONS_WINDOW = 10_000


def _envelope(data: Any) -> dict[str, Any]:
    return {"data": data, "error": False, "errorText": "", "additionalErrors": None}


def _product_details(product: Product, seller_name: str) -> dict[str, Any]:
    return {
        "nmId": product.sku,
        "imtId": product.sku // 3 + 7,
        "productName": product.title,
        "supplierArticle": product.article,
        "supplierName": seller_name,
        "brandName": product.brand,
    }


def _parse_bool(value: str | None) -> bool | None:
    return {"true": True, "false": False}.get((value or "").lower())


class WildberriesFeedbacksApp(WildberriesApp):
    """https://feedbacks-api.wildberries.ru — tag "Вопросы" (the questions share one bucket)."""

    scope = tokens.SCOPE_FEEDBACKS_AND_QUESTIONS

    def register_routes(self) -> None:
        self.router.add("GET", "/ping", self.ping)
        # GET /api/v1/questions — isAnswered, take, skip required; take + skip <= 10 000
        self.router.add("GET", "/api/v1/questions", self.questions)
        # PATCH /api/v1/questions — oneOf {id, wasViewed} | {id, answer{text}, state}
        self.router.add("PATCH", "/api/v1/questions", self.question_update)
        # GET /api/v1/question?id=
        self.router.add("GET", "/api/v1/question", self.question)
        # GET /api/v1/questions/count-unanswered
        self.router.add("GET", "/api/v1/questions/count-unanswered", self.count_unanswered)

    def limit_group(self, route: Route) -> str:
        return "questions"

    def rate_limit_storm(self, request: Request) -> Response:
        return self._too_many(
            request, retry=1, reset=2, limit=self.context.limits.wildberries_questions_burst
        )

    def failure(self, request: Request, status: int, text: str) -> Response:
        body = {
            "data": None,
            "error": True,
            "errorText": text,
            "additionalErrors": None,
            "requestId": request.request_id,
        }
        return json_response(status, body)

    def not_found(self, request: Request, *, method_not_allowed: bool) -> Response:
        return self.failure(request, 405 if method_not_allowed else 404, "Not Found")

    def _question_json(self, question: Question, cabinet: Cabinet) -> dict[str, Any]:
        answer = None
        if question.answer_text is not None:
            answer = {
                "text": question.answer_text,
                "editable": question.state == "wbRu" and question.answer_edits == 0,
                "createDate": iso_utc(question.answer_ms or question.created_ms),
            }
        return {
            "id": question.question_id,
            "text": question.text,
            "createdDate": iso_utc(question.created_ms),
            "state": question.state,
            "answer": answer,
            "productDetails": _product_details(question.product, cabinet.seller_name),
            "wasViewed": question.was_viewed,
            "isWarned": question.is_warned,
        }

    def questions(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        answered = _parse_bool(request.query_value("isAnswered"))
        if answered is None:
            return self.failure(request, 400, "Некорректное значение параметра isAnswered")
        try:
            take = int(request.query_value("take") or "")
            skip = int(request.query_value("skip") or "")
        except ValueError:
            return self.failure(request, 400, "Параметры take и skip обязательны и должны быть числами")
        if take < 1 or skip < 0 or take + skip > QUESTIONS_WINDOW:
            return self.failure(request, 400, "Сумма take и skip не должна превышать 10000")
        order = request.query_value("order") or "dateDesc"
        if order not in ("dateAsc", "dateDesc"):
            return self.failure(request, 400, "Некорректное значение параметра order")
        bounds = {}
        for name in ("dateFrom", "dateTo", "nmId"):
            raw = request.query_value(name)
            if raw:
                try:
                    bounds[name] = int(raw)
                except ValueError:
                    return self.failure(request, 400, f"Некорректное значение параметра {name}")
        with self.world.lock:
            unanswered = [item for item in cabinet.questions if item.state == "suppliersPortalSynch"]
            archive = [item for item in cabinet.questions if item.state != "suppliersPortalSynch"]
            selected = archive if answered else unanswered
            if "dateFrom" in bounds:
                selected = [item for item in selected if item.created_ms >= bounds["dateFrom"] * 1000]
            if "dateTo" in bounds:
                selected = [item for item in selected if item.created_ms <= bounds["dateTo"] * 1000 + 999]
            if "nmId" in bounds:
                selected = [item for item in selected if item.product.sku == bounds["nmId"]]
            selected = sorted(selected, key=lambda item: item.created_ms, reverse=order == "dateDesc")
            page = [self._question_json(item, cabinet) for item in selected[skip : skip + take]]
            data = {"countUnanswered": len(unanswered), "countArchive": len(archive), "questions": page}
        return json_response(200, _envelope(data))

    def question(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        question_id = request.query_value("id") or ""
        with self.world.lock:
            question = next((item for item in cabinet.questions if item.question_id == question_id), None)
            if question is None:
                return self.failure(request, 422, "Не найден вопрос")
            return json_response(200, _envelope(self._question_json(question, cabinet)))

    def count_unanswered(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        today = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000
        with self.world.lock:
            unanswered = [item for item in cabinet.questions if item.state == "suppliersPortalSynch"]
            data = {
                "countUnanswered": len(unanswered),
                "countUnansweredToday": sum(1 for item in unanswered if item.created_ms >= today),
            }
        return json_response(200, _envelope(data))

    def question_update(self, request: Request) -> Response:
        cabinet = self.cabinet_of(request)
        try:
            body = request.json()
        except ValueError:
            return self.failure(request, 400, "Некорректный JSON в теле запроса")
        if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
            return self.failure(request, 400, "Не указан id вопроса")
        viewing = "wasViewed" in body and "answer" not in body and "state" not in body
        answering = "answer" in body and "wasViewed" not in body
        if viewing and not isinstance(body["wasViewed"], bool):
            return self.failure(request, 400, "Поле wasViewed должно быть логическим")
        if answering:
            answer = body.get("answer")
            if (
                not isinstance(answer, dict)
                or not isinstance(answer.get("text"), str)
                or not answer["text"].strip()
            ):
                return self.failure(request, 400, "Не указан текст ответа")
            if body.get("state") not in ("wbRu", "none"):
                return self.failure(request, 400, "Некорректное значение state")
        if not viewing and not answering:
            return self.failure(request, 400, "Тело запроса не соответствует ни одной из схем")
        with self.world.lock:
            question = next((item for item in cabinet.questions if item.question_id == body["id"]), None)
            if question is None:
                return self.failure(request, 404, "Не найден вопрос")
            if viewing:
                question.was_viewed = body["wasViewed"]
                return json_response(200, _envelope(None))
            if question.answer_text is not None and (question.state != "wbRu" or question.answer_edits >= 1):
                return self.failure(request, 422, "Не удалось отредактировать вопрос")
            if question.answer_text is not None:
                question.answer_edits += 1
            question.answer_text = body["answer"]["text"]
            question.state = body["state"]
            question.answer_ms = self.world.next_time_ms(cabinet)
            question.was_viewed = True
            reply = Message(
                question.question_id,
                question.question_id,
                AUTHOR_SELLER,
                question.answer_text,
                question.answer_ms,
                via_api=True,
            )
            self.world.record_reply(cabinet, question.question_id, reply, kind="question")
        return json_response(200, _envelope(None))
