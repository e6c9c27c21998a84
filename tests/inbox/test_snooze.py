"""Snooze: preset times in Moscow, the service's refusals, the wake-up and a buyer bringing a chat back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from inbox import tasks
from inbox.models import Chat
from inbox.selectors import ChatFilters, chat_counts_by_marketplace, chat_filtered_for_user
from inbox.services import chat_set_status, chat_snooze, chat_snoozes_wake
from inbox.services.ingest import IngestMode, page_apply
from inbox.snooze import (
    chat_snooze_active,
    chat_status_effective,
    snooze_presets,
    snooze_until_for_preset,
    snooze_until_parse,
)
from marketplaces.types import Author, RemoteMessage, UpdatesPage

# Wednesday 25 November 2026, 22:30 in Moscow (UTC+3).
WEDNESDAY_EVENING = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)


def moscow(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def test_the_default_time_zone_is_moscow():
    assert str(timezone.get_default_timezone()) == "Europe/Moscow"


@pytest.mark.parametrize(
    ("now", "preset", "expected"),
    [
        (WEDNESDAY_EVENING, "hour", datetime(2026, 11, 25, 20, 30, tzinfo=UTC)),
        (WEDNESDAY_EVENING, "tomorrow", moscow(2026, 11, 26, 9, 0)),
        (WEDNESDAY_EVENING, "monday", moscow(2026, 11, 30, 9, 0)),
        # 23:30 UTC on Wednesday is already Thursday 02:30 in Moscow: tomorrow is Friday.
        (datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "tomorrow", moscow(2026, 11, 27, 9, 0)),
        # Sunday evening: Monday is tomorrow.
        (moscow(2026, 11, 29, 20, 0), "monday", moscow(2026, 11, 30, 9, 0)),
        # Monday 02:30 in Moscow (still Sunday in UTC): the coming Monday is a week ahead.
        (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "monday", moscow(2026, 12, 7, 9, 0)),
        (moscow(2026, 11, 30, 8, 0), "monday", moscow(2026, 12, 7, 9, 0)),
        # Across the new year.
        (moscow(2026, 12, 31, 18, 0), "tomorrow", moscow(2027, 1, 1, 9, 0)),
    ],
)
def test_presets_are_computed_in_moscow_time(now, preset, expected):
    until = snooze_until_for_preset(preset=preset, now=now)
    assert until == expected
    if preset != "hour":
        assert timezone.localtime(until).strftime("%H:%M") == "09:00"
        assert until.utcoffset() == timedelta(hours=3)


def test_preset_list_and_unknown_preset():
    presets = snooze_presets(now=WEDNESDAY_EVENING)
    assert [(preset.value, preset.until) for preset in presets] == [
        ("hour", datetime(2026, 11, 25, 20, 30, tzinfo=UTC)),
        ("tomorrow", moscow(2026, 11, 26, 9, 0)),
        ("monday", moscow(2026, 11, 30, 9, 0)),
    ]
    with translation.override("ru"):
        assert [str(preset.label) for preset in presets] == [
            "на 1 час",
            "до завтра 9:00",
            "до понедельника 9:00",
        ]
    with pytest.raises(ValueError, match="unknown snooze preset"):
        snooze_until_for_preset(preset="friday", now=WEDNESDAY_EVENING)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T09:30", moscow(2026, 12, 1, 9, 30)),
        ("2026-12-01 09:30:00", moscow(2026, 12, 1, 9, 30)),
        ("2026-12-01T09:30:00+00:00", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("", None),
        ("завтра", None),
        ("2026-13-01T09:30", None),
    ],
)
def test_custom_times_are_read_in_moscow_time(value, expected):
    assert snooze_until_parse(value=value) == expected


@pytest.fixture
def chat(make_account, make_chat, agent):
    account = make_account("ozon", members=[agent])
    return make_chat(account, last_message_at=timezone.now() - timedelta(minutes=5))


@pytest.mark.django_db
def test_snooze_stores_the_time_and_takes_the_chat_out_of_the_open_list(chat, agent):
    until = timezone.now() + timedelta(hours=2)

    chat_snooze(chat=chat, user=agent, until=until)

    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.SNOOZED, until)
    assert chat_snooze_active(chat=chat)
    assert chat_status_effective(chat=chat) == Chat.Status.SNOOZED
    open_chats = chat_filtered_for_user(user=agent, filters=ChatFilters(status="open"))
    snoozed = chat_filtered_for_user(user=agent, filters=ChatFilters(status="snoozed"))
    assert list(open_chats) == []
    assert list(snoozed) == [chat]
    assert chat_counts_by_marketplace(user=agent) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("until", "message"),
    [
        (None, "Укажите, когда вернуть чат."),
        (timezone.now() - timedelta(minutes=1), "Выберите время в будущем."),
        (timezone.now() + timedelta(days=400), "Отложить чат можно не больше чем на год."),
    ],
)
def test_snooze_refuses_a_missing_past_or_far_time_in_russian(chat, agent, until, message):
    with translation.override("ru"), pytest.raises(ValidationError) as refused:
        chat_snooze(chat=chat, user=agent, until=until)
    assert refused.value.message_dict == {"snoozed_until": [message]}
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)


@pytest.mark.django_db
def test_set_status_snoozes_and_reopening_clears_the_time(chat, agent):
    until = timezone.now() + timedelta(hours=1)
    chat_set_status(chat=chat, user=agent, status="snoozed", snoozed_until=until)
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.SNOOZED, until)

    chat_set_status(chat=chat, user=agent, status="open")
    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)

    with pytest.raises(ValidationError) as refused:
        chat_set_status(chat=chat, user=agent, status="snoozed")
    assert list(refused.value.message_dict) == ["snoozed_until"]
    with pytest.raises(ValidationError) as bogus:
        chat_set_status(chat=chat, user=agent, status="archived")
    assert list(bogus.value.message_dict) == ["status"]


@pytest.mark.django_db
def test_a_passed_snooze_counts_as_open_at_once_and_the_wake_up_stores_it(
    chat, make_chat, agent, monkeypatch
):
    later = make_chat(chat.account, last_message_at=timezone.now())
    chat_snooze(chat=chat, user=agent, until=timezone.now() + timedelta(hours=1))
    chat_snooze(chat=later, user=agent, until=timezone.now() + timedelta(hours=3))
    real_now = timezone.now
    in_ninety_minutes = real_now() + timedelta(minutes=90)
    monkeypatch.setattr(timezone, "now", lambda: in_ninety_minutes)

    # Before any wake-up ran: the list, the counts and the effective status already say "open".
    chat.refresh_from_db()
    assert chat.status == Chat.Status.SNOOZED
    assert chat_status_effective(chat=chat) == Chat.Status.OPEN
    open_chats = chat_filtered_for_user(user=agent, filters=ChatFilters(status="open"))
    snoozed = chat_filtered_for_user(user=agent, filters=ChatFilters(status="snoozed"))
    assert list(open_chats) == [chat]
    assert list(snoozed) == [later]
    assert chat_counts_by_marketplace(user=agent)["ozon"].open_chats == 1

    assert tasks.wake_snoozed_chats() == 1
    assert chat_snoozes_wake() == 0
    chat.refresh_from_db()
    later.refresh_from_db()
    assert (chat.status, chat.snoozed_until, chat.updated_at) == (Chat.Status.OPEN, None, in_ninety_minutes)
    assert later.status == Chat.Status.SNOOZED
    assert list(chat_filtered_for_user(user=agent, filters=ChatFilters(status="open"))) == [chat]


@pytest.mark.django_db
def test_a_snooze_without_a_time_never_hides_a_chat(chat, agent):
    Chat.objects.filter(pk=chat.pk).update(status=Chat.Status.SNOOZED, snoozed_until=None)
    assert list(chat_filtered_for_user(user=agent, filters=ChatFilters(status="open"))) == [chat]
    assert chat_snoozes_wake() == 1
    chat.refresh_from_db()
    assert chat.status == Chat.Status.OPEN


@pytest.mark.django_db
def test_a_buyer_message_reopens_a_snoozed_chat(make_account, agent):
    account = make_account("ozon", members=[agent])
    first = timezone.now() - timedelta(minutes=10)

    def buyer_writes(external_id: str, moment: datetime) -> None:
        message = RemoteMessage(
            chat_external_id="c1",
            external_id=external_id,
            author=Author.BUYER,
            text="Ну что там?",
            created_at=moment,
        )
        with transaction.atomic():
            page_apply(account=account, page=UpdatesPage(messages=(message,)), mode=IngestMode.INCREMENTAL)

    buyer_writes("1", first)
    chat = Chat.objects.get(account=account)
    chat_snooze(chat=chat, user=agent, until=timezone.now() + timedelta(days=1))

    buyer_writes("2", first + timedelta(minutes=5))

    chat.refresh_from_db()
    assert (chat.status, chat.snoozed_until) == (Chat.Status.OPEN, None)
    assert list(chat_filtered_for_user(user=agent, filters=ChatFilters(status="open"))) == [chat]
