import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from tests.sandbox.spec_schemas import REPOSITORY_ROOT

pytestmark = pytest.mark.e2e


class ProductStub:
    """A stand-in for the product's push receivers: records bodies, answers like the docs ask."""

    def __init__(self, *, wrong: bool = False) -> None:
        self.received: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.received.append(body)
                kind = body.get("message_type") or body.get("notificationType")
                identity = {"version": "1.0", "name": "Chat Center", "time": datetime.now(tz=UTC).isoformat()}
                if wrong:
                    answer = {"ok": 1}
                elif kind == "TYPE_PING" or "notificationType" in body:
                    answer = identity
                else:
                    answer = {"result": True}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def product():
    stub = ProductStub()
    yield stub
    stub.close()


def test_ozon_push_ping_then_new_message(client, product):
    client.control("POST", "/push", {"marketplace": "ozon", "url": product.url})
    created = client.control("POST", "/buyer-message", {"marketplace": "ozon", "text": "Где мой заказ?"})
    assert client.sandbox.pushes.wait_idle()

    kinds = [body["message_type"] for body in product.received]
    assert kinds == ["TYPE_PING", "TYPE_NEW_MESSAGE"]
    push = product.received[1]
    assert push["chat_id"] == created["chat"]["external_id"]
    assert push["message_id"] == created["message"]["external_id"] and isinstance(push["message_id"], str)
    assert push["data"] == ["Где мой заказ?"] and push["user"]["type"] == "Customer"
    assert push["chat_type"] == "Buyer_Seller"
    log = client.control("GET", "/pushes")["pushes"]
    assert [entry["ok"] for entry in log] == [True, True]


def test_yandex_market_notifications(client, product):
    client.control("POST", "/push", {"marketplace": "yandex_market", "url": product.url})
    client.control("POST", "/buyer-message", {"marketplace": "yandex_market"})
    assert client.sandbox.pushes.wait_idle()

    kinds = [body["notificationType"] for body in product.received]
    assert kinds == ["PING", "CHAT_CREATED", "CHAT_MESSAGE_SENT"]
    business_id = int(client.cabinet("yandex_market").external_id)
    assert all(body["businessId"] == business_id for body in product.received[1:])
    assert isinstance(product.received[2]["messageId"], str)
    assert all(entry["ok"] for entry in client.control("GET", "/pushes")["pushes"])


def test_wrong_answers_are_logged_as_mismatches(client):
    stub = ProductStub(wrong=True)
    try:
        client.control("POST", "/push", {"marketplace": "ozon", "url": stub.url})
        client.control("POST", "/buyer-message", {"marketplace": "ozon"})
        assert client.sandbox.pushes.wait_idle()
    finally:
        stub.close()
    problems = [entry["problem"] for entry in client.control("GET", "/pushes")["pushes"]]
    assert problems == ["'version' must be a string of 1–100 characters", 'answer must be {"result": true}']


def test_run_sandbox_refuses_without_sandbox_allowed(settings):
    settings.SANDBOX_ALLOWED = False
    with pytest.raises(CommandError, match="SANDBOX_ALLOWED"):
        call_command("run_sandbox")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_run_sandbox_prints_urls_and_cabinets_then_serves(tmp_path: Path):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1"}
    # A shell running background jobs (`make test &`) starts children with SIGINT ignored; the child here
    # always starts that way, so the test cannot depend on the disposition it inherits, and it stops the
    # sandbox with SIGTERM, which run_sandbox handles.
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_sandbox", "--port", "0", "--seed", "4", "--chats", "3"],
        cwd=REPOSITORY_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("READY"):
                break
        urls = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("CABINET"))
        assert set(urls) >= {
            "WILDBERRIES_CHAT_API_URL",
            "WILDBERRIES_FEEDBACKS_API_URL",
            "OZON_API_URL",
            "YANDEX_MARKET_API_URL",
        }
        cabinets = [line.split(" ", 2) for line in lines if line.startswith("CABINET ")]
        assert {marketplace for _, marketplace, _ in cabinets} == {"wildberries", "ozon", "yandex_market"}
        ozon = json.loads(
            next(credentials for _, marketplace, credentials in cabinets if marketplace == "ozon")
        )
        response = requests.post(
            urls["OZON_API_URL"] + "/v3/chat/list",
            json={"limit": 5},
            timeout=5,
            headers={"Client-Id": ozon["client_id"], "Api-Key": ozon["api_key"]},
        )
        assert response.status_code == 200 and len(response.json()["chats"]) == 4
    finally:
        process.terminate()
        try:
            _, errors = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 0
    assert json.loads(errors.strip().splitlines()[-1]) == {"stopped": True, "replies": 0}
    assert "Traceback" not in errors


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_run_sandbox_stops_silently_on_ctrl_c():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_sandbox", "--chats", "1", "--verbosity", "0"],
        cwd=REPOSITORY_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    try:
        for line in process.stdout:
            if line.startswith("READY"):
                break
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, errors) == (0, "")
