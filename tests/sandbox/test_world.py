import time

from sandbox.control import chat_state
from sandbox.generator import WorldOptions, world_create
from sandbox.world import World


def snapshot(seed: int) -> list:
    world = world_create(WorldOptions(seed=seed), world=World(seed=seed, clock=lambda: 1_790_000_000.0))
    return [
        (
            cabinet.name,
            cabinet.credentials,
            [chat_state(chat) for chat in cabinet.chats.values()],
            [(question.question_id, question.text) for question in cabinet.questions],
        )
        for cabinet in world.cabinets
    ]


def test_same_seed_same_world_and_different_seed_different_world():
    assert snapshot(42) == snapshot(42)
    assert snapshot(42) != snapshot(43)


def test_world_content_is_russian_and_covers_the_edge_cases():
    world = world_create(WorldOptions(seed=3))
    ozon = world.cabinets_of("ozon")[0]
    market = world.cabinets_of("yandex_market")[0]
    wildberries = world.cabinets_of("wildberries")[0]

    assert any(chat.chat_type == "SELLER_SUPPORT" for chat in ozon.chats.values())
    assert any(chat.status == "CLOSED" for chat in ozon.chats.values())
    assert {chat.context_type for chat in market.chats.values()} == {"ORDER", "RETURN", "DIRECT"}
    assert any(chat.status == "FINISHED" for chat in market.chats.values())
    assert {question.state for question in wildberries.questions} == {"suppliersPortalSynch", "wbRu", "none"}
    texts = [message.text for chat in wildberries.chats.values() for message in chat.messages if message.text]
    assert all(any("а" <= letter.lower() <= "я" for letter in text) for text in texts)


def test_ids_and_times_are_ordered_per_cabinet():
    world = world_create(WorldOptions(seed=9, chats=30, messages_per_chat=6))
    for cabinet in world.cabinets:
        messages = sorted(
            (message for chat in cabinet.chats.values() for message in chat.messages),
            key=lambda item: item.created_ms,
        )
        times = [message.created_ms for message in messages]
        assert len(times) == len(set(times))
        if cabinet.marketplace != "wildberries":
            ids = [int(message.message_id) for message in messages]
            assert ids == sorted(ids) and len(ids) == len(set(ids))
        if cabinet.marketplace == "ozon" and ids:
            assert min(ids) > 2**53
    wildberries = world.cabinets_of("wildberries")[0]
    assert wildberries.event_times == sorted(wildberries.event_times)


def test_no_generated_message_is_dated_after_the_world_started():
    world = world_create(WorldOptions(seed=3, chats=200, messages_per_chat=8))
    for cabinet in world.cabinets:
        latest = max(
            (message.created_ms for chat in cabinet.chats.values() for message in chat.messages), default=0
        )
        assert latest <= world.started_ms, (cabinet.marketplace, latest - world.started_ms)


def test_scale_generation_is_fast_enough_for_benchmarks():
    started = time.monotonic()
    world = world_create(WorldOptions(seed=1, cabinets_per_marketplace=1, chats=300, messages_per_chat=50))
    elapsed = time.monotonic() - started
    total = sum(len(chat.messages) for cabinet in world.cabinets for chat in cabinet.chats.values())
    assert total >= 3 * 300 * 50
    # 45 000 messages; generous bound so a loaded CI machine does not flake.
    assert elapsed < 15, elapsed
