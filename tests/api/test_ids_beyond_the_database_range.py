"""An id beyond the database's 64-bit integers (in a path, a query or a body) is a 4xx, never a 500: SQLite
raises OverflowError on such a parameter, PostgreSQL a DataError."""

import pytest

HUGE = "9" * 25

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent, make_account, make_chat):
    make_chat(make_account("ozon", members=[agent]))
    client.force_login(agent)
    return client


@pytest.mark.parametrize(
    "path",
    [
        f"/api/chat/chats/{HUGE}",
        f"/api/chat/chats/{HUGE}/messages",
        f"/api/chat/chats?account={HUGE}",
        f"/api/chat/templates/{HUGE}",
        f"/api/chat/reports/response-times?from=2026-11-01&to=2026-11-30&account={HUGE}",
        f"/inbox/chats/{HUGE}/",
        f"/inbox/chats/{HUGE}/live/",
        f"/inbox/?account={HUGE}",
        f"/inbox/?assignee={HUGE}",
    ],
)
def test_reads_with_a_huge_id_are_not_server_errors(signed_in, path):
    assert signed_in.get(path).status_code < 500


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/chat/compliance/check", {"text": "Здравствуйте", "chat": int(HUGE)}),
        (f"/api/chat/chats/{HUGE}/send", {"text": "Здравствуйте"}),
        (f"/api/chat/chats/{HUGE}/read", {}),
        (f"/api/chat/chats/{HUGE}/suggestions", {}),
        (f"/api/chat/templates/{HUGE}/render", {"chat": 1}),
        ("/api/chat/templates", {"title": "Т", "shortcut": "t", "text": "Текст", "account": int(HUGE)}),
    ],
)
def test_writes_with_a_huge_id_are_not_server_errors(signed_in, path, body):
    assert signed_in.post(path, body, content_type="application/json").status_code < 500
