"""messages_classify: newest first, buyer messages only, bounded history, idempotent; chats follow."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assist.classify import services
from assist.classify.services import messages_classify
from inbox.models import Chat, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(make_account, make_chat):
    return make_chat(make_account("ozon"), last_message_at=timezone.now())


def add(chat: Chat, text: str, *, minutes_ago: float, **fields) -> Message:
    fields.setdefault("direction", Message.Direction.IN)
    fields.setdefault("author", Message.Author.BUYER)
    return Message.objects.create(
        chat=chat, text=text, created_at=timezone.now() - timedelta(minutes=minutes_ago), **fields
    )


def test_buyer_messages_only_and_the_chat_takes_the_latest(chat):
    older = add(chat, "Подскажите размерную сетку, рост 170", minutes_ago=30)
    latest = add(chat, "Где мой заказ? Доставка задерживается уже неделю, безобразие!", minutes_ago=5)
    reply = add(chat, "Здравствуйте! Заказ уже в пути.", minutes_ago=3, direction="out", author="seller")
    notice = add(chat, "Покупатель оформил возврат", minutes_ago=2, author="marketplace")

    run = messages_classify()

    assert (run.fresh, run.history, run.by_llm, run.fallbacks) == (2, 0, 0, 0)
    rows = dict(Message.objects.values_list("pk", "topic"))
    assert rows == {older.pk: "size", latest.pk: "delivery", reply.pk: None, notice.pk: None}
    assert Message.objects.get(pk=latest.pk).sentiment == "negative"
    chat.refresh_from_db()
    assert (chat.topic, chat.sentiment) == ("delivery", "negative")


def test_newest_first_in_batches(chat, monkeypatch):
    messages = [add(chat, f"Отмените пожалуйста заказ {index}", minutes_ago=10 - index) for index in range(5)]
    seen: list[list[str]] = []
    original = services.texts_classify

    def spy(*, texts):
        seen.append(list(texts))
        return original(texts=texts)

    monkeypatch.setattr(services, "texts_classify", spy)
    run = messages_classify(batch=2)
    assert run.fresh == 5
    assert seen == [
        [messages[4].text, messages[3].text],
        [messages[2].text, messages[1].text],
        [messages[0].text],
    ]


def test_history_is_classified_at_a_bounded_rate_after_every_new_message(chat):
    old = [
        add(chat, "Хочу оформить возврат, вещь не подошла", minutes_ago=60 * 24 * 30 + index)
        for index in range(5)
    ]
    new = add(chat, "Когда будет в наличии синий цвет?", minutes_ago=1)

    first = messages_classify(batch=2, history_per_run=3)
    assert (first.fresh, first.history) == (1, 3)
    classified = set(Message.objects.filter(topic__isnull=False).values_list("pk", flat=True))
    # The newest of the history first.
    assert classified == {new.pk, old[0].pk, old[1].pk, old[2].pk}

    second = messages_classify(batch=2, history_per_run=3)
    assert (second.fresh, second.history) == (0, 2)
    third = messages_classify(batch=2, history_per_run=3)
    assert (third.fresh, third.history) == (0, 0)
    assert Message.objects.filter(topic__isnull=True).count() == 0
    chat.refresh_from_db()
    assert (chat.topic, chat.sentiment) == ("availability", "neutral")


def test_fresh_messages_are_bounded_too(chat):
    for index in range(4):
        add(chat, "Отмените пожалуйста заказ", minutes_ago=index)
    run = messages_classify(batch=3, max_fresh=2)
    assert (run.fresh, run.history) == (2, 0)
    assert Message.objects.filter(topic__isnull=True).count() == 2


def test_idempotent_a_second_run_changes_nothing(chat, django_assert_max_num_queries):
    message = add(chat, "С карты списали деньги дважды!", minutes_ago=1)
    messages_classify()
    Message.objects.filter(pk=message.pk).update(topic="other")  # an answer already stored is kept
    with django_assert_max_num_queries(1):
        run = messages_classify()
    assert run.classified == 0
    assert Message.objects.get(pk=message.pk).topic == "other"


def test_a_message_without_words_is_other_and_never_overrides_the_chat(chat):
    add(chat, "Пришёл бракованный чайник, не включается", minutes_ago=5)
    photo = add(chat, "", minutes_ago=1, attachments=[{"kind": "image", "name": "photo.jpg"}])
    messages_classify()
    photo.refresh_from_db()
    assert (photo.topic, photo.sentiment) == ("other", "neutral")
    chat.refresh_from_db()
    assert (chat.topic, chat.sentiment) == ("defect", "negative")


def test_the_task_runs_the_service(chat):
    from assist.classify.tasks import classify_messages

    add(chat, "Отмените пожалуйста заказ", minutes_ago=1)
    assert classify_messages() == {"fresh": 1, "history": 0, "by_llm": 0, "fallbacks": 0}


def test_the_schedule_runs_it_every_minute():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="classify-messages")
    assert (schedule.func, schedule.minutes) == ("assist.classify.tasks.classify_messages", 1)


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_picking_the_next_batch_reads_the_small_partial_index(chat):
    queryset = services._unclassified_queryset().values_list("id", "chat_id", "text", "created_at")[:20]
    assert "message_unclassified_idx" in plan(queryset)


def test_a_run_stops_starting_batches_when_its_time_is_up(chat):
    for index in range(5):
        add(chat, "Отмените пожалуйста заказ", minutes_ago=index)
    ticks = iter([0.0, 10.0, 20.0, 46.0, 50.0])
    run = messages_classify(batch=2, time_budget_seconds=45.0, clock=lambda: next(ticks))
    # Started at 0; batches began at 10 and 20; at 46 the budget was spent.
    assert run.fresh == 4
    assert Message.objects.filter(topic__isnull=True).count() == 1
