"""The LLM path against a fake OpenAI-compatible server over real HTTP, and its offline fallbacks."""

import json
import logging
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from assist.classify.services import messages_classify
from inbox.models import Chat, Message

pytestmark = pytest.mark.django_db

API_KEY = "sk-test-classify-secret-0042"
# This helper's port range; the first free one is taken.
PORTS = range(18900, 19000)


class FakeLLM:
    """Answers like an OpenAI-compatible server; `mode` picks a good, failing or malformed answer."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(
                    {"path": self.path, "authorization": self.headers["Authorization"], "body": body}
                )
                status, payload = fake.answer(body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        for port in PORTS:
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, body: dict) -> tuple[int, object]:
        items = json.loads(body["messages"][1]["content"])["items"]
        if self.mode == "error":
            return 500, {"error": {"message": f"upstream failure for key {API_KEY}"}}
        if self.mode == "slow":
            time.sleep(1.5)
        if self.mode == "not_json":
            return 200, b"<html>gateway</html>"
        answers = [{"id": item["id"], "topic": "payment", "sentiment": "positive"} for item in items]
        if self.mode == "unknown_code":
            answers[0]["topic"] = "shipping"
        if self.mode == "missing_item":
            answers = answers[1:]
        content = json.dumps({"items": answers})
        if self.mode == "prose":
            content = "Вот классификация: " + content
        if self.mode == "fenced":
            content = f"```json\n{content}\n```"
        return 200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm(settings):
    fake = FakeLLM()
    settings.LLM_API_URL = fake.url
    settings.LLM_API_KEY = API_KEY
    settings.LLM_MODEL = "test-model"
    settings.LLM_TIMEOUT_SECONDS = 0.5
    yield fake
    fake.close()


@pytest.fixture
def messages(make_account, make_chat):
    chat = make_chat(make_account("wildberries"), last_message_at=timezone.now())
    texts = [
        "Где мой заказ? Доставка задерживается уже неделю, безобразие!",
        "Подскажите размерную сетку, рост 170",
    ]
    return [
        Message.objects.create(
            chat=chat,
            direction="in",
            author="buyer",
            text=text,
            created_at=timezone.now() - timedelta(minutes=5 - i),
        )
        for i, text in enumerate(texts)
    ]


def stored() -> list[tuple[str, str]]:
    return list(Message.objects.order_by("created_at").values_list("topic", "sentiment"))


@pytest.mark.parametrize("mode", ["ok", "fenced"])
def test_one_request_per_batch_and_the_answer_is_stored(llm, messages, mode):
    llm.mode = mode
    run = messages_classify()
    assert (run.fresh, run.by_llm, run.fallbacks) == (2, 2, 0)
    assert stored() == [("payment", "positive"), ("payment", "positive")]
    assert Chat.objects.get().topic == "payment"
    [request] = llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == f"Bearer {API_KEY}"
    body = request["body"]
    assert body["model"] == "test-model"
    assert body["temperature"] == 0
    assert json.loads(body["messages"][1]["content"]) == {
        "items": [
            {"id": 0, "text": "Подскажите размерную сетку, рост 170"},
            {"id": 1, "text": "Где мой заказ? Доставка задерживается уже неделю, безобразие!"},
        ]
    }
    # Only the buyers' texts travel: no key, no buyer name, no account.
    assert API_KEY not in json.dumps(body)
    assert "Покупатель" not in json.dumps(body, ensure_ascii=False)


def test_batches_of_the_given_size(llm, messages):
    messages_classify(batch=1)
    assert len(llm.requests) == 2


@pytest.mark.parametrize("mode", ["error", "slow", "not_json", "prose", "unknown_code", "missing_item"])
def test_any_failure_or_malformed_answer_falls_back_to_the_offline_model(llm, messages, mode, caplog):
    llm.mode = mode
    with caplog.at_level(logging.DEBUG):
        run = messages_classify()
    assert (run.fresh, run.by_llm, run.fallbacks) == (2, 0, 1)
    # The offline model's answers, not the LLM's.
    assert stored() == [("delivery", "negative"), ("size", "neutral")]
    assert "LLM classification failed" in caplog.text
    assert API_KEY not in caplog.text


def test_without_llm_settings_no_request_is_made(llm, messages, settings):
    settings.LLM_API_URL = ""
    run = messages_classify()
    assert (run.by_llm, run.fallbacks) == (0, 0)
    assert llm.requests == []
    assert stored() == [("delivery", "negative"), ("size", "neutral")]


def test_phones_emails_and_long_numbers_never_reach_the_llm(llm, make_account, make_chat):
    chat = make_chat(make_account("ozon"), last_message_at=timezone.now())
    Message.objects.create(
        chat=chat,
        direction="in",
        author="buyer",
        text="Заказ 0123456789-0001-1 не пришёл, размер 42. Звоните +7 (912) 345-67-89 или ivan.p@mail.ru",
        created_at=timezone.now(),
    )
    messages_classify()
    [request] = llm.requests
    assert json.loads(request["body"]["messages"][1]["content"])["items"] == [
        {"id": 0, "text": "Заказ [N] не пришёл, размер 42. Звоните [N] или [e-mail]"}
    ]
