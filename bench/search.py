"""Message text search at scale: the inbox search box and "Похожие ответы" through the text index.

Messages are composed from a vocabulary of support phrases so that words have realistic, unequal
frequencies (a few percent each, some rare), unlike the five fixed texts of the inbox benchmark.
"""

import random
import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import MarketplaceAccount, SyncState
from assist.suggestions import past_answers
from bench.datagen import MARKETPLACE_CREDENTIALS, thread_rows
from bench.measure import figures_record, percentile, summary, time_calls
from inbox.models import Chat, Message
from inbox.services.bulk import rows_insert_ignoring_conflicts
from inbox.text_search import text_index_available

TARGET_P95_MS = 200.0
AGENT = "search-bench-agent"
OPENINGS = ["Здравствуйте", "Добрый день", "Подскажите", "Скажите, пожалуйста", "Извините", ""]
SUBJECTS = [
    "доставка задерживается",
    "курьер не приехал",
    "пришёл брак",
    "упаковка повреждена",
    "размер маломерит",
    "цвет не совпадает с фото",
    "как оформить возврат",
    "когда вернут деньги",
    "можно ли поменять адрес",
    "товар не тот",
    "нет в наличии",
    "оплата не прошла",
    "пункт выдачи закрыт",
    "не работает зарядка",
    "инструкция на английском",
    "чек не пришёл",
    "промокод не применился",
    "отмените заказ",
    "где трек-номер",
    "крышка треснула",
]
ANSWERS = [
    "Возврат оформляется в личном кабинете в разделе покупок",
    "Курьер свяжется с вами накануне доставки",
    "Пожалуйста, приложите фото брака, мы разберёмся",
    "Размерная сетка есть в карточке товара",
    "Деньги вернутся в течение десяти дней после приёмки",
    "Товар снова будет в наличии на следующей неделе",
    "Замените, пожалуйста, пункт выдачи в приложении",
]
SEARCHES = ["возврата", "доставку", "курьера", "брак упаковка", "зарядки", "Размер", "ТРЕСНУЛА", "промокоды"]


def _text(randomizer: random.Random, *, incoming: bool) -> str:
    if not incoming:
        return f"{randomizer.choice(ANSWERS)}. {randomizer.choice(ANSWERS)}."
    opening = randomizer.choice(OPENINGS)
    subjects = ", ".join(randomizer.sample(SUBJECTS, randomizer.choice((1, 1, 2))))
    return f"{opening}, {subjects}?" if opening else f"{subjects.capitalize()}?"


def search_generate(*, messages: int, messages_per_chat: int = 10, seed: int = 11) -> User:
    randomizer = random.Random(seed)
    agent, _created = User.objects.get_or_create(username=AGENT)
    chats = messages // messages_per_chat
    if Chat.objects.filter(account__members=agent).count() >= chats:
        return agent
    now = timezone.now()
    accounts = []
    for marketplace, credentials in MARKETPLACE_CREDENTIALS.items():
        account = MarketplaceAccount.objects.create(
            marketplace=marketplace, name=f"Search bench {marketplace}", credentials=credentials
        )
        account.members.add(agent)
        SyncState.objects.create(account=account, last_success_at=now)
        accounts.append(account)
    batch = 5000
    for start in range(0, chats, batch):
        with transaction.atomic():
            created = Chat.objects.bulk_create(
                Chat(
                    account=accounts[number % len(accounts)],
                    external_id=f"search-{number}",
                    buyer_name=f"Покупатель {number}",
                    order_number=f"{20000000 + number}-0001-1",
                    last_message_at=now - timedelta(seconds=number * 13),
                )
                for number in range(start, min(chats, start + batch))
            )
            rows = thread_rows(
                chats=created,
                per_chat=messages_per_chat,
                text=lambda incoming: _text(randomizer, incoming=incoming),
                randomizer=randomizer,
            )
            rows_insert_ignoring_conflicts(model=Message, rows=rows, now=now)
    return agent


def run(*, messages: int, requests: int) -> None:
    started = time.perf_counter()
    agent = search_generate(messages=messages)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    chats = list(Chat.objects.filter(account__members=agent).order_by("?")[:requests])
    print(
        f"  data: {Message.objects.filter(chat__account__members=agent).count():,} messages ready in "
        f"{time.perf_counter() - started:.0f} s (text index: {'yes' if text_index_available() else 'NO, substring scan'})"
    )
    client = Client()
    client.force_login(agent)

    def inbox_search(index: int) -> None:
        response = client.get("/inbox/", {"q": SEARCHES[index % len(SEARCHES)]})
        if response.status_code != 200:
            raise RuntimeError(f"search answered {response.status_code}")

    results = {
        "inbox search by text": time_calls(inbox_search, count=requests),
        "past answers": time_calls(
            lambda index: past_answers(
                chat=chats[index % len(chats)], question=_text(random.Random(index), incoming=True)
            ),
            count=requests,
        ),
    }
    for name, samples in results.items():
        verdict = "ok" if percentile(samples, 0.95) < TARGET_P95_MS else "ABOVE TARGET"
        print(f"  {name:22} {summary(samples)}   target p95 < {TARGET_P95_MS:.0f} ms: {verdict}")
        figures_record(name=name, samples=samples, target_p95_ms=TARGET_P95_MS)
