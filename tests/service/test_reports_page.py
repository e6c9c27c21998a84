import csv
import io

import pytest
from django.test import Client

from audit.models import AuditEvent
from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from tests.service.conftest import moscow


def test_reports_page_renders_charts_tables_and_csv(make_account, make_chat, add_message, agent):
    account = make_account("ozon", name="Озон Главный", members=[agent])
    chat = make_chat(account)
    add_message(chat, Message.Author.BUYER, moscow(2026, 11, 5, 12, 0))
    add_message(
        chat,
        Message.Author.SELLER,
        moscow(2026, 11, 5, 12, 5),
        sent_by=agent,
        delivery_status="sent",
        sent_at=moscow(2026, 11, 5, 12, 6),
        external_id=None,
    )
    chat_deadlines_refresh(chat_ids=[chat.pk])
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(agent)
    params = {"from": "2026-11-01", "to": "2026-11-07"}
    page = client.get("/reports/", params)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-data"' in html and "chart-4.6.1.umd.min.js" in html
    assert "<script>" not in html.replace('<script id="report-data" type="application/json">', "")
    assert "По сотрудникам" in html and "Озон Главный" in html and "6 мин" in html

    table = client.get("/reports/", {**params, "export": "accounts"})
    rows = list(csv.reader(io.StringIO(table.content.decode())))
    assert rows[1][:5] == [str(account.pk), "Озон Главный", "1", "1", "0"]
    assert rows[1][9] == "360"

    turns = client.get("/reports/", {**params, "export": "turns"})
    rows = list(csv.reader(io.StringIO(b"".join(turns.streaming_content).decode())))
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
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(agent)
    params = {"from": "2026-11-01", "to": "2026-11-07", name: "9223372036854775808", "export": export}
    response = client.get("/reports/", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Убедитесь, что это значение меньше либо равно 9223372036854775807." in response.content.decode()
    assert not AuditEvent.objects.filter(action="exported").exists()
