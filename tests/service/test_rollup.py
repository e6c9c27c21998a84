"""The `TurnDay` rollup: kept as messages arrive in any order, it equals a recount from the turns."""

import math
import random
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from inbox.models import Message
from service.deadlines import chat_deadlines_refresh
from service.models import ResponseTurn, TurnDay
from service.rollup import times_decode, turn_days_rebuild
from tests.service.conftest import moscow


def rollup_rows() -> list[tuple]:
    return sorted(
        (
            row.start_day,
            row.account_id,
            row.marketplace,
            row.agent_id,
            row.first,
            row.turns,
            row.answered,
            row.total_seconds,
            row.within_day,
            row.sla_met,
            row.sla_missed,
            list(times_decode(row.response_times)),
        )
        for row in TurnDay.objects.all()
        # Rows emptied by rewritten turns stay with zeros; a recount does not create them.
        if row.turns
    )


def test_rollup_kept_message_by_message_equals_a_recount(
    make_account, make_chat, add_message, agent, other_agent
):
    randomizer = random.Random(7)
    accounts = [make_account(name, members=[agent]) for name in ("wildberries", "ozon")]
    plans = []
    for number in range(12):
        chat = make_chat(accounts[number % 2])
        moment = moscow(2026, 11, 1, 22, 0) + timedelta(minutes=randomizer.randint(0, 3000))
        for _index in range(randomizer.randint(2, 7)):
            moment += timedelta(minutes=randomizer.choice([1, 7, 45, 300, 1500]))
            author = randomizer.choice(["buyer", "buyer", "seller", "seller"])
            fields = {}
            if author == "seller" and randomizer.random() < 0.6:
                fields = {
                    "sent_by": randomizer.choice([agent, other_agent]),
                    "delivery_status": "sent",
                    "sent_at": moment + timedelta(seconds=randomizer.randint(0, 90)),
                    "external_id": None,
                }
            plans.append((chat, author, moment, fields))
    # Out of order (a backfill brings older messages after newer ones): turns get renumbered, answered
    # turns are taken back and replaced, rows change their counts and their sorted times.
    randomizer.shuffle(plans)
    for chat, author, moment, fields in plans:
        add_message(chat, author, moment, **fields)
        chat_deadlines_refresh(chat_ids=[chat.pk])
    kept = rollup_rows()
    assert sum(row[5] for row in kept) == ResponseTurn.objects.count() > 10
    assert sum(row[6] for row in kept) == ResponseTurn.objects.exclude(answered_at=None).count() > 5
    assert turn_days_rebuild() == len(kept)
    assert rollup_rows() == kept
    every = sorted(
        ResponseTurn.objects.exclude(response_seconds=None).values_list("response_seconds", flat=True)
    )
    assert sorted(value for row in kept for value in row[11]) == every


def test_a_reply_moves_the_turn_from_unanswered_to_answered(
    make_account, make_chat, add_message, add_answer, agent
):
    account = make_account("ozon", members=[agent])
    chat = make_chat(account)
    add_message(chat, Message.Author.BUYER, moscow(2026, 11, 5, 12, 0))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    day = moscow(2026, 11, 5, 0, 0).date()
    assert rollup_rows() == [(day, account.pk, "ozon", 0, True, 1, 0, 0, 0, 0, 0, [])]
    add_answer(chat, agent)
    chat_deadlines_refresh(chat_ids=[chat.pk])
    assert rollup_rows() == [(day, account.pk, "ozon", agent.pk, True, 1, 1, 360, 1, 1, 0, [360])]


def test_reports_page_reads_the_rollup_once(make_account, make_chat, add_message, agent):
    account = make_account("ozon", members=[agent])
    chat = make_chat(account)
    add_message(chat, Message.Author.BUYER, moscow(2026, 11, 5, 12, 0))
    chat_deadlines_refresh(chat_ids=[chat.pk])
    client = Client()
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/reports/", {"from": "2026-11-01", "to": "2026-11-07"}).status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    # Six reports before (agents, accounts, days, then days once per marketplace), each with its own
    # scan of the turns; now one read of the rollup and one of the overdue turns.
    assert sum('FROM "service_turnday"' in sql for sql in statements) == 1
    assert (
        sum("FROM service_responseturn" in sql or 'FROM "service_responseturn"' in sql for sql in statements)
        == 1
    )


def test_percentiles_of_several_sorted_runs_are_the_nearest_ranks_of_all_values():
    from array import array

    from service.reports import _percentiles

    randomizer = random.Random(3)
    for _round in range(200):
        runs = [
            array(
                "I",
                sorted(randomizer.choice([0, 5, 60, 61, 3600]) for _value in range(randomizer.randint(0, 9))),
            )
            for _run in range(randomizer.randint(1, 4))
        ]
        values = sorted(value for run in runs for value in run)
        expected = (
            (values[math.ceil(0.5 * len(values)) - 1], values[math.ceil(0.9 * len(values)) - 1])
            if values
            else (None, None)
        )
        assert _percentiles(runs=runs) == expected
