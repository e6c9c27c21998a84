"""Live changes to the world: buyers writing, sellers replying through the APIs, new chats."""

import logging
import random
import threading

from sandbox import texts
from sandbox.generator import attachment_create, chat_create, product_create
from sandbox.world import (
    AUTHOR_BUYER,
    AUTHOR_SELLER,
    OZON,
    WILDBERRIES,
    YANDEX_MARKET,
    Attachment,
    Cabinet,
    Chat,
    Message,
    Question,
    World,
)

logger = logging.getLogger("sandbox")

EVENT_CHAT_CREATED = "chat_created"
EVENT_BUYER_MESSAGE = "buyer_message"
EVENT_SELLER_MESSAGE = "seller_message"


def chat_open(
    world: World,
    cabinet: Cabinet,
    *,
    context_type: str = "ORDER",
    order_id: int | None = None,
    chat_id: str | None = None,
) -> Chat:
    with world.lock:
        chat = chat_create(world, world.runtime_random, cabinet, world.now_ms(), chat_id=chat_id)
        if cabinet.marketplace == YANDEX_MARKET:
            chat.chat_id = chat_id or str(world.now_ms() * 10 + world.runtime_random.randrange(10))
            chat.context_type = context_type
            if order_id is not None:
                chat.order_number = str(order_id)
            if context_type == "RETURN":
                chat.extras["return_id"] = order_id or world.runtime_random.randint(1_000_000, 9_999_999)
        cabinet.chats[chat.chat_id] = chat
    world.notify(EVENT_CHAT_CREATED, cabinet, chat, None)
    return chat


def buyer_message_add(
    world: World,
    cabinet: Cabinet,
    *,
    chat: Chat | None = None,
    text: str | None = None,
    attachment: str | None = None,
) -> tuple[Chat, Message]:
    """A buyer writes: to `chat`, or opens a new chat when none is given. attachment: image | file."""
    rng = world.runtime_random
    with world.lock:
        opens_chat = chat is None
        if chat is None:
            chat = chat_open(world, cabinet)
        moment = world.next_time_ms(cabinet)
        if text is None:
            text = rng.choice(texts.OPENING_TEXTS if opens_chat else texts.FOLLOW_UP_TEXTS)
        message = Message(world.new_message_id(cabinet, moment), chat.chat_id, AUTHOR_BUYER, text, moment)
        message.source = "rusite" if cabinet.marketplace == WILDBERRIES else ""
        message.opens_chat = opens_chat
        if attachment:
            message.attachments.append(attachment_create(world, rng, image=attachment == "image"))
        for previous in chat.messages:
            if previous.author == AUTHOR_SELLER:
                previous.is_read = True
        world.add_message(cabinet, chat, message)
        if cabinet.marketplace == YANDEX_MARKET and chat.status != "FINISHED":
            chat.status = "WAITING_FOR_PARTNER"
        if cabinet.marketplace == OZON:
            chat.status = "OPENED"
    world.notify(EVENT_BUYER_MESSAGE, cabinet, chat, message)
    return chat, message


def seller_message_add(
    world: World,
    cabinet: Cabinet,
    chat: Chat,
    *,
    text: str,
    attachments: list[Attachment] | None = None,
    source: str = "seller-public-api",
) -> Message:
    """A reply received through a marketplace API: stored in the chat (its echo) and in the replies log."""
    with world.lock:
        moment = world.next_time_ms(cabinet)
        message = Message(world.new_message_id(cabinet, moment), chat.chat_id, AUTHOR_SELLER, text, moment)
        message.source = source if cabinet.marketplace == WILDBERRIES else ""
        message.via_api = True
        message.attachments = list(attachments or [])
        world.add_message(cabinet, chat, message)
        if cabinet.marketplace == YANDEX_MARKET:
            chat.status = "WAITING_FOR_CUSTOMER"
        world.record_reply(cabinet, chat.chat_id, message)
    world.notify(EVENT_SELLER_MESSAGE, cabinet, chat, message)
    return message


def question_add(world: World, cabinet: Cabinet, *, text: str | None = None) -> Question:
    rng = world.runtime_random
    with world.lock:
        question = Question(
            question_id="".join(
                rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(20)
            ),
            text=text or rng.choice(texts.QUESTION_TEXTS),
            created_ms=world.next_time_ms(cabinet),
            product=product_create(rng),
        )
        cabinet.questions.append(question)
    return question


class SimulatedBuyers:
    """Buyers who write every `interval` seconds on average, to a random cabinet."""

    def __init__(self, world: World, *, interval: float, seed: int) -> None:
        self.world = world
        self.interval = interval
        self.random = random.Random(f"buyers:{seed}")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running or self.interval <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-buyers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.random.uniform(0.5, 1.5) * self.interval):
            try:
                self.step()
            except Exception:  # a broken step must not kill the simulation
                logger.exception("Simulated buyer step failed")

    def step(self) -> Message | Question:
        cabinets = [cabinet for cabinet in self.world.cabinets if cabinet.chats or cabinet.premium]
        cabinet = self.random.choice([cabinet for cabinet in cabinets if cabinet.chats] or cabinets)
        if cabinet.marketplace == WILDBERRIES and self.random.random() < 0.15:
            return question_add(self.world, cabinet)
        open_chats = [
            chat
            for chat in cabinet.chats.values()
            if chat.status not in ("CLOSED", "FINISHED") and chat.chat_type != "SELLER_SUPPORT"
        ]
        chat = None if not open_chats or self.random.random() < 0.2 else self.random.choice(open_chats)
        roll = self.random.random()
        attachment = "image" if roll < 0.1 else "file" if roll < 0.15 else None
        _, message = buyer_message_add(self.world, cabinet, chat=chat, attachment=attachment)
        return message
