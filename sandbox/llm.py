"""A fake OpenAI-compatible chat-completions endpoint with deterministic Russian drafts.

Shapes follow the OpenAI API: POST /v1/chat/completions {"model", "messages"[, "n",
"response_format"]} -> {"id", "object": "chat.completion", "created", "model", "choices": [{"index",
"message": {"role", "content"}, "finish_reason"}], "usage": {"prompt_tokens", "completion_tokens",
"total_tokens"}}; errors as {"error": {"message", "type", "code"}} with 401 for a wrong key.
Switches (POST /_control): "slow" (answer after `delay` seconds), "error" (500), "unsafe" (a draft
with a phone number), "normal".

A request in JSON mode (`response_format` {"type": "json_object"}) whose last user message is
{"items": [{"id", "text"}]} is a classification (DESIGN.md §16): it gets {"items": [{"id", "topic",
"sentiment"}]} by keywords, as a model following the product's instructions would answer.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.web import Request, Response, json_response

API_KEY = "sk-sandbox-chat-center"
MODEL = "sandbox-drafts-1"

_REPLIES = (
    (
        ("где", "доставк", "когда", "трек", "пришл", "привез"),
        (
            "{hello} Заказ {order} уже в пути: статус доставки виден в карточке заказа в личном кабинете "
            "маркетплейса. Как только он прибудет в пункт выдачи, придёт уведомление.",
            "{hello} Спасибо, что написали! Мы проверили заказ {order}: он передан в доставку. Срок указан в "
            "карточке заказа, мы следим за ним и напишем, если что-то изменится.",
        ),
    ),
    (
        ("возврат", "вернуть", "брак", "трещин", "слом", "дефект", "не работает"),
        (
            "{hello} Очень жаль, что так вышло. Оформите, пожалуйста, возврат через личный кабинет "
            "маркетплейса в разделе «Покупки» и приложите фото — мы одобрим заявку без задержек.",
            "{hello} Приносим извинения за товар. Пришлите, пожалуйста, фото дефекта в этот чат — мы "
            "проверим и предложим замену или возврат денег через маркетплейс.",
        ),
    ),
    (
        ("размер", "маломер", "большемер", "рост", "сетк"),
        (
            "{hello} Подскажем с размером: ориентируйтесь на таблицу размеров в карточке товара. Если "
            "сомневаетесь между двумя, берите больший — модель сидит плотно.",
        ),
    ),
)
_DEFAULT = (
    "{hello} Спасибо за вопрос! Уточним информацию и ответим вам в этом чате в ближайшее время.",
    "{hello} Благодарим за обращение. Мы уже разбираемся и скоро вернёмся с ответом.",
)
# DESIGN.md §16 topics by keyword stems, the first match wins (a cancellation mentions delivery too).
_TOPICS = (
    ("order_change", ("отмен", "изменить заказ", "поменять адрес", "другой адрес")),
    ("return", ("возврат", "вернуть")),
    ("defect", ("брак", "трещин", "слом", "дефект", "не работает", "порван", "царапин", "не хватает")),
    ("size", ("размер", "маломер", "большемер", "сетк", "длина", "ширина")),
    ("availability", ("наличи", "поступ", "будет ли", "закончил")),
    ("payment", ("оплат", "деньг", "списа", "чек", "скидк", "цен")),
    ("delivery", ("где", "доставк", "когда", "трек", "пришл", "привез", "курьер", "пункт выдачи")),
)
_NEGATIVE = ("ужас", "плохо", "обман", "разочар", "отврат", "безобраз", "недовол", "верните деньги", "!!!")
_POSITIVE = ("спасибо", "отлично", "благодар", "класс", "супер", "понравил")
UNSAFE = "{hello} Чтобы решить быстрее, позвоните нам: 8 (916) 123-45-67 или напишите в Telegram @shop_help."


@dataclass
class FakeLlm:
    mode: str = "normal"
    delay: float = 30.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def handle(self, request: Request) -> Response:
        if request.path == "/_control" and request.method == "POST":
            body = request.json() if request.body.strip() else {}
            self.mode = str(body.get("mode", self.mode))
            self.delay = float(body.get("delay", self.delay))
            return json_response(200, {"mode": self.mode, "delay": self.delay})
        if request.path == "/v1/models" and request.method == "GET":
            return json_response(
                200, {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "sandbox"}]}
            )
        if request.path != "/v1/chat/completions" or request.method != "POST":
            return _error(404, "Not found", "invalid_request_error", "not_found")
        if request.header("authorization") != f"Bearer {API_KEY}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        try:
            body = request.json()
        except ValueError:
            return _error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error", None
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not body.get("model"):
            return _error(400, "'messages' and 'model' are required", "invalid_request_error", None)
        self.requests.append(body)
        if self.mode == "error":
            return _error(500, "The server had an error while processing your request.", "server_error", None)
        if self.mode == "slow":
            self._stopping.wait(self.delay)
        items = _classification_items(body)
        content = (
            self._drafts(messages) if items is None else json.dumps({"items": items}, ensure_ascii=False)
        )
        prompt_tokens = sum(len(str(message.get("content", "")).split()) for message in messages)
        completion_tokens = len(content.split())
        return json_response(
            200,
            {
                "id": f"chatcmpl-sandbox-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": str(body["model"]),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _drafts(self, messages: list[dict[str, Any]]) -> str:
        question = next(
            (str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), ""
        ).lower()
        context = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        name = _after(context, "Имя покупателя:")
        order = _after(context, "Заказ:") or "№ из карточки"
        hello = f"Здравствуйте, {name}!" if name else "Здравствуйте!"
        if self.mode == "unsafe":
            drafts: tuple[str, ...] = (UNSAFE,)
        else:
            drafts = next(
                (replies for words, replies in _REPLIES if any(w in question for w in words)), _DEFAULT
            )
        return "\n---\n".join(draft.format(hello=hello, order=order) for draft in drafts)


def _classification_items(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict) or response_format.get("type") != "json_object":
        return None
    user = next((m for m in reversed(body["messages"]) if m.get("role") == "user"), {})
    try:
        items = json.loads(str(user.get("content", "")))["items"]
    except (ValueError, KeyError, TypeError):
        return None
    answers = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        text = str(item.get("text", "")).lower()
        topic = next((code for code, words in _TOPICS if any(word in text for word in words)), "other")
        sentiment = (
            "negative"
            if any(word in text for word in _NEGATIVE)
            else "positive"
            if any(word in text for word in _POSITIVE)
            else "neutral"
        )
        answers.append({"id": item.get("id"), "topic": topic, "sentiment": sentiment})
    return answers


def _after(text: str, label: str) -> str:
    if label not in text:
        return ""
    return text.split(label, 1)[1].strip().split("\n")[0].split(" ")[0].strip()


def _error(status: int, message: str, kind: str, code: str | None) -> Response:
    return json_response(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


def describe(fake: FakeLlm) -> str:
    return json.dumps({"mode": fake.mode, "delay": fake.delay})
