"""GET /api/chat/reports/response-times against a brute-force computation over generated chats."""

import math
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from tests.service.conftest import MOSCOW, moscow

URL = "/api/chat/reports/response-times"


def nearest_rank(values: list[int], fraction: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(fraction * len(ordered)) - 1]


def brute_force(*, chats, date_from, date_to, key) -> dict:
    """§13 straight from the message list of each chat, with none of the product's code."""
    groups: dict = defaultdict(lambda: {"turns": 0, "answered": [], "first": []})
    for _chat, messages, account, _agent_by_message in chats:
        start = None
        number = 0
        for message in sorted(messages, key=lambda item: (item.created_at, item.pk)):
            if message.author == "buyer" and start is None:
                start = message.created_at
            elif message.author == "seller" and start is not None and message.delivery_status in ("", "sent"):
                end = message.sent_at if message.delivery_status == "sent" else message.created_at
                day = start.astimezone(MOSCOW).date()
                if date_from <= day <= date_to:
                    group = groups[key(day, account, message.sent_by_id)]
                    group["turns"] += 1
                    seconds = int((end - start).total_seconds())
                    group["answered"].append(seconds)
                    if number == 0:
                        group["first"].append(seconds)
                number += 1
                start = None
        if start is not None:
            day = start.astimezone(MOSCOW).date()
            if date_from <= day <= date_to:
                groups[key(day, account, None)]["turns"] += 1
    result = {}
    for group_key, group in groups.items():
        answered = group["answered"]
        result[group_key] = {
            "key": group_key,
            "turns": group["turns"],
            "answered": len(answered),
            "unanswered": group["turns"] - len(answered),
            "first_response": {
                "count": len(group["first"]),
                "median_seconds": nearest_rank(group["first"], 0.5),
                "p90_seconds": nearest_rank(group["first"], 0.9),
            },
            "response": {
                "count": len(answered),
                "median_seconds": nearest_rank(answered, 0.5),
                "p90_seconds": nearest_rank(answered, 0.9),
                "mean_seconds": sum(answered) / len(answered) if answered else None,
            },
            "answered_within_24h_ratio": sum(1 for value in answered if value <= 86400) / group["turns"],
        }
    return result


@pytest.fixture
def world(make_account, make_chat, add_message, agent, other_agent):
    randomizer = random.Random(12)
    accounts = [make_account(name, members=[agent]) for name in ("wildberries", "ozon", "yandex_market")]
    agents = [agent, other_agent, None]
    chats = []
    for number in range(45):
        account = accounts[number % 3]
        chat = make_chat(account)
        moment = moscow(2026, 11, 1, 0, 0) + timedelta(minutes=randomizer.randint(0, 60 * 24 * 10))
        messages = []
        for _index in range(randomizer.randint(1, 8)):
            moment += timedelta(minutes=randomizer.choice([0, 1, 7, 45, 300, 1500, 2000]))
            author = randomizer.choice(["buyer", "buyer", "seller", "seller", "marketplace"])
            fields = {}
            if author == "seller":
                who = randomizer.choice(agents)
                if who is not None:
                    status = randomizer.choice(["sent", "sent", "sent", "pending", "failed"])
                    fields = {"sent_by": who, "delivery_status": status, "external_id": None}
                    if status == "sent":
                        fields["sent_at"] = moment + timedelta(seconds=randomizer.randint(0, 90))
            messages.append(add_message(chat, author, moment, **fields))
        chats.append((chat, messages, account, {}))
    chat_deadlines_refresh(chat_ids=[chat.pk for chat, *_rest in chats])
    return chats, accounts


@pytest.mark.parametrize("group_by", ["day", "marketplace", "account", "agent"])
def test_report_matches_a_brute_force_computation(world, agent, group_by):
    chats, _accounts = world
    client = APIClient()
    client.force_authenticate(agent)
    date_from, date_to = moscow(2026, 11, 3, 0, 0).date(), moscow(2026, 11, 9, 0, 0).date()
    keys = {
        "day": lambda day, account, user: day.isoformat(),
        "marketplace": lambda day, account, user: account.marketplace,
        "account": lambda day, account, user: account.pk,
        "agent": lambda day, account, user: user,
    }
    expected = brute_force(chats=chats, date_from=date_from, date_to=date_to, key=keys[group_by])
    response = client.get(
        URL, {"from": date_from.isoformat(), "to": date_to.isoformat(), "group_by": group_by}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["timezone"], body["group_by"]) == (
        "2026-11-03",
        "2026-11-09",
        "Europe/Moscow",
        group_by,
    )
    got = {group["key"]: {k: v for k, v in group.items() if k != "sla_met_ratio"} for group in body["groups"]}
    for group in got.values():
        if group["response"]["mean_seconds"] is not None:
            group["response"]["mean_seconds"] = pytest.approx(group["response"]["mean_seconds"])
    assert got == expected
    assert sum(group["turns"] for group in expected.values()) > 20


def test_another_accounts_turns_are_not_shown(world, other_agent):
    _chats, accounts = world
    client = APIClient()
    client.force_authenticate(other_agent)
    params = {"from": "2026-11-01", "to": "2026-11-30", "group_by": "day"}
    assert client.get(URL, params).json()["groups"] == []
    assert client.get(URL, {**params, "account": accounts[0].pk}).json()["groups"] == []


def test_filters_by_marketplace_and_account(world, agent):
    _chats, accounts = world
    client = APIClient()
    client.force_authenticate(agent)
    params = {"from": "2026-11-01", "to": "2026-11-30", "group_by": "account"}
    by_marketplace = client.get(URL, {**params, "marketplace": "ozon"}).json()["groups"]
    assert [group["key"] for group in by_marketplace] == [accounts[1].pk]
    by_account = client.get(URL, {**params, "account": accounts[2].pk}).json()["groups"]
    assert [group["key"] for group in by_account] == [accounts[2].pk]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"to": "2026-11-30", "group_by": "day"}, {"from": ["Укажите первый день (from=ГГГГ-ММ-ДД)."]}),
        (
            {"from": "30.11.2026", "to": "2026-11-30", "group_by": "day"},
            {"from": ["Укажите дату в формате ГГГГ-ММ-ДД."]},
        ),
        (
            {"from": "2026-11-30", "to": "2026-11-01", "group_by": "day"},
            {"to": ["Последний день не может быть раньше первого."]},
        ),
        (
            {"from": "2026-11-01", "to": "2026-11-30", "group_by": "week"},
            {"group_by": ["Группировка: day, marketplace, account или agent."]},
        ),
        *[
            (
                {"from": "2026-11-01", "to": "2026-11-30", "group_by": "day", name: "9223372036854775808"},
                {name: ["Убедитесь, что это значение меньше либо равно 9223372036854775807."]},
            )
            for name in ("account", "agent")
        ],
    ],
)
def test_bad_parameters_answer_400_in_russian(agent, params, errors):
    client = APIClient()
    client.force_authenticate(agent)
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert response.json() == errors


def test_no_turns_give_null_statistics_not_zero(make_account, make_chat, add_message, agent):
    account = make_account("ozon", members=[agent])
    chat = make_chat(account)
    add_message(chat, Message.Author.BUYER, moscow(2026, 11, 5, 12, 0))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    client = APIClient()
    client.force_authenticate(agent)
    body = client.get(URL, {"from": "2026-11-05", "to": "2026-11-05", "group_by": "day"}).json()
    assert body["groups"] == [
        {
            "key": "2026-11-05",
            "turns": 1,
            "answered": 0,
            "unanswered": 1,
            "first_response": {"count": 0, "median_seconds": None, "p90_seconds": None},
            "response": {"count": 0, "median_seconds": None, "p90_seconds": None, "mean_seconds": None},
            "answered_within_24h_ratio": 0.0,
            "sla_met_ratio": 0.0,
        }
    ]
