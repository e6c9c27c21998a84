"""Deterministic seeding of the sandbox world: cabinets with credentials, chats, history, questions."""

import random
import string
from dataclasses import dataclass
from typing import Any

from sandbox import assets, texts, tokens
from sandbox.world import (
    AUTHOR_BUYER,
    AUTHOR_MARKETPLACE,
    AUTHOR_SELLER,
    AUTHOR_SUPPORT,
    MODERATION_PENDING,
    MODERATION_REJECTED,
    OZON,
    WILDBERRIES,
    YANDEX_MARKET,
    Attachment,
    Cabinet,
    Chat,
    Message,
    Product,
    Question,
    World,
)

SCENARIOS = ("demo", "empty")
DAY_MS = 24 * 3600 * 1000
BASE62 = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class WorldOptions:
    seed: int = 1
    scenario: str = "demo"
    cabinets_per_marketplace: int = 2
    chats: int = 12
    # 0 = a natural 1–7 messages per chat; N = exactly N (benchmarks).
    messages_per_chat: int = 0
    questions: int = 8


def _pick(rng: random.Random, items: tuple | list) -> Any:
    # Hot-loop stand-ins for rng.choice/randint: several times faster, still fully seeded.
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


IMAGE_COLORS = ((203, 17, 171), (0, 91, 255), (255, 196, 0), (46, 160, 67), (230, 57, 70), (120, 120, 120))


def world_create(options: WorldOptions, *, world: World | None = None) -> World:
    if options.scenario not in SCENARIOS:
        raise ValueError(f"Unknown scenario {options.scenario!r}; expected one of {', '.join(SCENARIOS)}")
    world = world or World(seed=options.seed)
    rng = random.Random(options.seed)
    populated = options.scenario != "empty"
    for marketplace in (WILDBERRIES, OZON, YANDEX_MARKET):
        for index in range(options.cabinets_per_marketplace):
            cabinet = cabinet_create(world, rng, marketplace, index)
            if populated:
                _populate(world, rng, cabinet, options)
    # Cabinets that exist to exercise capability errors: listed after the ordinary ones.
    cabinet_create(world, rng, WILDBERRIES, options.cabinets_per_marketplace, base=True)
    cabinet_create(world, rng, OZON, options.cabinets_per_marketplace, premium=False)
    return world


def cabinet_create(
    world: World,
    rng: random.Random,
    marketplace: str,
    index: int,
    *,
    base: bool = False,
    premium: bool = True,
) -> Cabinet:
    brand = texts.PRODUCTS[(index * 5) % len(texts.PRODUCTS)][1]
    if marketplace == WILDBERRIES:
        seller_id = world.random_uuid(rng)
        token_type = tokens.TOKEN_TYPE_BASE if base else tokens.TOKEN_TYPE_PERSONAL
        token = tokens.token_create(
            token_id=world.random_uuid(rng),
            seller_id=seller_id,
            token_type=token_type,
            scopes=tokens.scope_mask(tokens.SCOPE_FEEDBACKS_AND_QUESTIONS, tokens.SCOPE_BUYERS_CHAT),
            expires_at=world.started_ms // 1000 + 180 * 24 * 3600,
            signature=rng.randbytes(64),
        )
        name = f"Wildberries — {brand}" + (" (базовый токен)" if base else "")
        cabinet = Cabinet(WILDBERRIES, name, {"token": token}, seller_id, brand, token_type=token_type)
    elif marketplace == OZON:
        client_id = str(rng.randint(100_000, 3_999_999))
        credentials = {"client_id": client_id, "api_key": world.random_uuid(rng)}
        name = f"Ozon — {brand}" + ("" if premium else " (без Premium Plus)")
        cabinet = Cabinet(OZON, name, credentials, client_id, brand, premium=premium)
    else:
        business_id = str(rng.randint(1_000_000, 99_999_999))
        secret = "".join(rng.choice(BASE62) for _ in range(40))
        api_key = f"ACMA:{secret}:{rng.getrandbits(32):08x}"
        cabinet = Cabinet(
            YANDEX_MARKET,
            f"Яндекс Маркет — {brand}",
            {"api_key": api_key, "business_id": business_id},
            business_id,
            brand,
        )
        cabinet.premium = True
    cabinet.last_time_ms = world.started_ms - 1
    world.cabinets.append(cabinet)
    return cabinet


def product_create(rng: random.Random) -> Product:
    title, brand = rng.choice(texts.PRODUCTS)
    return Product(
        sku=rng.randint(10_000_000, 399_999_999),
        title=title,
        brand=brand,
        article=f"ART-{rng.randint(1000, 99999)}",
        price=rng.randrange(199, 24_999, 10),
        size=rng.choice(texts.SIZES),
    )


def buyer_name(rng: random.Random) -> str:
    return f"{rng.choice(texts.BUYER_FIRST_NAMES)} {rng.choice(texts.BUYER_SURNAME_INITIALS)}"


def attachment_create(world: World, rng: random.Random, *, image: bool) -> Attachment:
    if image:
        color = _pick(rng, IMAGE_COLORS)
        attachment_id = world.random_uuid(rng)
        name = rng.choice(texts.ATTACHMENT_IMAGE_NAMES)
        content_type = assets.PNG_CONTENT_TYPE if name.endswith(".png") else assets.JPEG_CONTENT_TYPE
        content = assets.photo_bytes(*color, content_type=content_type)
        return Attachment(attachment_id, name, content_type, content)
    return Attachment(
        world.random_uuid(rng),
        rng.choice(texts.ATTACHMENT_FILE_NAMES),
        assets.PDF_CONTENT_TYPE,
        assets.pdf_bytes(),
    )


def chat_create(
    world: World, rng: random.Random, cabinet: Cabinet, created_ms: int, *, chat_id: str | None = None
) -> Chat:
    """A buyer chat with marketplace-specific ids and context (no messages yet)."""
    product = product_create(rng)
    if cabinet.marketplace == WILDBERRIES:
        chat_uuid = world.random_uuid(rng)
        chat = Chat(
            chat_id=chat_id or f"1:{chat_uuid}",
            buyer_name=rng.choice(texts.BUYER_FIRST_NAMES),
            buyer_id="",
            created_ms=created_ms,
            order_number=f"{rng.getrandbits(128):032x}",
            product=product,
            status="open",
        )
        chat.reply_sign = f"{chat.chat_id}:{product.sku}:{rng.getrandbits(512):0128x}"
    elif cabinet.marketplace == OZON:
        chat = Chat(
            chat_id=chat_id or world.random_uuid(rng),
            buyer_name="",
            buyer_id=str(rng.randint(10_000, 99_999_999)),
            created_ms=created_ms,
            order_number=f"{rng.randint(10_000_000, 99_999_999)}-{rng.randint(1, 999):04d}",
            product=product,
            status="OPENED",
            chat_type="BUYER_SELLER",
        )
    else:
        order_id = rng.randint(30_000_000_000, 59_999_999_999)
        chat = Chat(
            chat_id=chat_id or str(rng.randint(10_000_000, 99_999_999)),
            buyer_name=buyer_name(rng),
            buyer_id="".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(26)),
            created_ms=created_ms,
            order_number=str(order_id),
            product=product,
            status="NEW",
            chat_type="CHAT",
            context_type="ORDER",
            extras={"campaign_id": 20_000_000 + int(cabinet.external_id) % 1_000_000},
        )
    return chat


def _populate(world: World, rng: random.Random, cabinet: Cabinet, options: WorldOptions) -> None:
    chats = [chat_create(world, rng, cabinet, 0) for _ in range(options.chats)]
    pending: list[tuple[Chat, Message]] = []
    span = 30 * DAY_MS
    for position, chat in enumerate(chats):
        chat.created_ms = world.started_ms - _between(rng, 3_600_000, span)
        count = options.messages_per_chat or _between(rng, 1, 7)
        moment = chat.created_ms
        for number in range(count):
            if number == 0:
                author = AUTHOR_BUYER
            elif number % 2 == 1 and rng.random() < 0.85:
                author = AUTHOR_SELLER
            else:
                author = AUTHOR_BUYER
            if author == AUTHOR_BUYER and number > 0 and rng.random() < 0.04:
                author = AUTHOR_MARKETPLACE
            text = _seed_text(rng, author, number)
            message = Message("", chat.chat_id, author, text, moment)
            if author == AUTHOR_BUYER and rng.random() < 0.12:
                message.attachments.append(attachment_create(world, rng, image=rng.random() < 0.6))
                if number > 0 and rng.random() < 0.3:
                    message.text = ""
            message.source = _seed_source(rng, cabinet.marketplace, author)
            message.is_read = rng.random() < 0.7
            message.opens_chat = number == 0
            pending.append((chat, message))
            moment += _between(
                rng, 60_000, max(60_001, (world.started_ms - moment) // max(1, count - number))
            )
            moment = min(moment, world.started_ms - 1000)
        _decorate_chat(cabinet, chat, position, rng)
    if cabinet.marketplace == OZON:
        support, support_messages = _support_chat(world, rng, cabinet)
        chats.append(support)
        pending.extend((support, message) for message in support_messages)
    _assign_times_and_ids(world, cabinet, pending, rng)
    for chat in chats:
        cabinet.chats[chat.chat_id] = chat
    _finish_statuses(cabinet)
    if cabinet.marketplace == WILDBERRIES:
        _mark_moderation(cabinet)
        _populate_questions(world, rng, cabinet, options.questions)


def _seed_text(rng: random.Random, author: str, number: int) -> str:
    if author == AUTHOR_SELLER:
        return _pick(rng, texts.SELLER_TEXTS)
    if author == AUTHOR_MARKETPLACE:
        return _pick(rng, texts.MARKETPLACE_TEXTS)
    return _pick(rng, texts.OPENING_TEXTS if number == 0 else texts.FOLLOW_UP_TEXTS)


def _seed_source(rng: random.Random, marketplace: str, author: str) -> str:
    if marketplace != WILDBERRIES:
        return ""
    if author == AUTHOR_SELLER:
        return "seller-portal"
    if author == AUTHOR_MARKETPLACE:
        return ""
    return _pick(rng, ("rusite", "rusite", "android", "ios", "global"))


def _decorate_chat(cabinet: Cabinet, chat: Chat, position: int, rng: random.Random) -> None:
    if cabinet.marketplace == OZON and position % 7 == 3:
        chat.status = "CLOSED"
    if cabinet.marketplace == YANDEX_MARKET:
        if position % 6 == 4:
            chat.context_type = "RETURN"
            chat.extras["return_id"] = rng.randint(1_000_000, 9_999_999)
        elif position % 6 == 5:
            chat.context_type = "DIRECT"


def _assign_times_and_ids(
    world: World, cabinet: Cabinet, pending: list[tuple[Chat, Message]], rng: random.Random
) -> None:
    pending.sort(key=lambda item: item[1].created_ms)
    last = 0
    for chat, message in pending:
        # Unique, strictly increasing times per cabinet: WB pages events by `addTimestamp > next`.
        message.created_ms = max(message.created_ms, last + 1)
        last = message.created_ms
        if cabinet.marketplace == WILDBERRIES:
            message.message_id = world.random_uuid(rng)
        elif cabinet.marketplace == OZON:
            message.message_id = world.numeric_message_id(OZON, message.created_ms)
        else:
            message.message_id = str(message.created_ms * 1000)
        chat.messages.append(message)
        for attachment in message.attachments:
            world.register_attachment(attachment, cabinet)
    if cabinet.marketplace == WILDBERRIES:
        cabinet.events = [message for _, message in pending]
        cabinet.event_times = [message.created_ms for message in cabinet.events]
    cabinet.last_time_ms = max(cabinet.last_time_ms, last)


def _finish_statuses(cabinet: Cabinet) -> None:
    if cabinet.marketplace != YANDEX_MARKET:
        return
    for position, chat in enumerate(cabinet.chats.values()):
        last = chat.last_message
        if position % 9 == 7:
            chat.status = "FINISHED"
        elif last is None:
            chat.status = "NEW"
        elif last.author == AUTHOR_SELLER:
            chat.status = "WAITING_FOR_CUSTOMER"
        else:
            chat.status = "WAITING_FOR_PARTNER"


def _mark_moderation(cabinet: Cabinet) -> None:
    attachments = [item for message in cabinet.events for item in message.attachments]
    if len(attachments) >= 3:
        attachments[-1].moderation = MODERATION_PENDING
        attachments[-2].moderation = MODERATION_REJECTED


def _populate_questions(world: World, rng: random.Random, cabinet: Cabinet, count: int) -> None:
    for index in range(count):
        question = Question(
            question_id="".join(rng.choice(BASE62) for _ in range(20)),
            text=rng.choice(texts.QUESTION_TEXTS),
            created_ms=world.started_ms - rng.randint(3_600_000, 20 * DAY_MS),
            product=product_create(rng),
            was_viewed=rng.random() < 0.5,
        )
        if index % 2 == 1:
            question.state = "wbRu"
            question.answer_text = rng.choice(texts.QUESTION_ANSWERS)
            question.answer_ms = question.created_ms + rng.randint(600_000, DAY_MS)
            question.was_viewed = True
        elif index % 8 == 6:
            question.state = "none"
            question.answer_text = "Вопрос не относится к товару."
            question.answer_ms = question.created_ms + 3_600_000
        cabinet.questions.append(question)
    cabinet.questions.sort(key=lambda item: item.created_ms)


def _support_chat(world: World, rng: random.Random, cabinet: Cabinet) -> tuple[Chat, list[Message]]:
    """A seller ↔ Ozon support chat from five days ago; its messages join the cabinet's time and id
    assignment, so they are in the past and Ozon ids keep following time."""
    chat = chat_create(world, rng, cabinet, world.started_ms - 5 * DAY_MS)
    chat.chat_type = "SELLER_SUPPORT"
    chat.buyer_id = "0"
    messages = []
    moment = chat.created_ms
    for author, text in (
        (AUTHOR_SELLER, "Здравствуйте! Не приходит выплата за прошлую неделю."),
        (AUTHOR_SUPPORT, rng.choice(texts.SUPPORT_TEXTS)),
    ):
        moment += 600_000
        message = Message("", chat.chat_id, author, text, moment)
        message.is_read = True
        messages.append(message)
    return chat, messages
