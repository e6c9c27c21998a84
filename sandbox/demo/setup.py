"""What the demo writes: its user, one cabinet per marketplace, the first sync, push URLs.

Everything goes through the product's own services and commands, as an admin would do it.
"""

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse

from accounts.models import MarketplaceAccount
from accounts.services import account_create, account_update
from inbox.models import Chat
from marketplaces.errors import MarketplaceError
from marketplaces.registry import spec_for
from sandbox.server import SandboxServer

DEMO_USERNAME = "demo"
# Data, not UI text: the demo cabinets and their names (what a Russian seller would call them), fixed so
# that every run finds the cabinets of the previous one.
DEMO_CABINETS = (
    ("wildberries", "Демо: Wildberries"),
    ("ozon", "Демо: Ozon"),
    ("yandex_market", "Демо: Яндекс Маркет"),
)


@dataclass
class DemoCabinet:
    account: MarketplaceAccount
    note: str


def demo_password_get(*, path: Path) -> str:
    """The demo password, created once and kept in a private file so every run prints the same one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_user_ensure(*, password: str) -> AbstractBaseUser:
    """The demo superuser. Its password is only set when it differs, so open sessions stay logged in."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={"is_staff": True, "is_superuser": True, "first_name": "Демо", "last_name": "Оператор"},
    )
    changed = ["is_staff", "is_superuser"] if not (user.is_staff and user.is_superuser) else []
    user.is_staff = user.is_superuser = True
    if created or not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return user


def demo_cabinets_connect(*, sandbox: SandboxServer, user: AbstractBaseUser) -> list[DemoCabinet]:
    """One account per marketplace on the sandbox's first (fully capable) cabinet; reused when present."""
    cabinets = []
    for marketplace, name in DEMO_CABINETS:
        cabinet = sandbox.world.cabinet_find(marketplace=marketplace, reference=0)
        assert cabinet is not None
        account = MarketplaceAccount.objects.filter(marketplace=marketplace, name=name).first()
        if account is not None:
            if account.credentials != cabinet.credentials:
                account_update(account=account, credentials=cabinet.credentials, check=False)
            account.members.add(user)
            cabinets.append(DemoCabinet(account=account, note="already connected"))
            continue
        try:
            account = account_create(
                marketplace=marketplace, name=name, credentials=cabinet.credentials, members=[user]
            )
            note = "connected (credentials checked against the sandbox)"
        except MarketplaceError as error:
            account = account_create(
                marketplace=marketplace,
                name=name,
                credentials=cabinet.credentials,
                members=[user],
                check=False,
            )
            note = f"connected WITHOUT a credentials check ({error.message})"
        cabinets.append(DemoCabinet(account=account, note=note))
    return cabinets


def demo_first_sync(*, account: MarketplaceAccount) -> str:
    """One synchronous sync pass (the `sync_chats` command), so the inbox has chats before the URL shows."""
    output = io.StringIO()
    try:
        call_command("sync_chats", account=account.pk, stdout=output, stderr=output)
    except CommandError:
        lines = [line.strip() for line in output.getvalue().splitlines() if "error" in line]
        return f"first sync failed ({lines[-1] if lines else 'see the admin'}); the worker retries"
    chats = Chat.objects.filter(account=account).count()
    return f"{chats} chats in the inbox"


def demo_pushes_connect(
    *, sandbox: SandboxServer, accounts: list[MarketplaceAccount], base_url: str
) -> list[str]:
    """Point the sandbox's pushes of each pushing marketplace at that account's receiver URL."""
    notes = []
    for account in accounts:
        route = spec_for(account.marketplace).push_route
        cabinet = sandbox.world.cabinet_find(marketplace=account.marketplace, reference=0)
        if route is None or cabinet is None:
            continue
        try:
            path = reverse(route, kwargs={"secret": account.webhook_secret})
        except NoReverseMatch:
            continue
        sandbox.pushes.configure(cabinet, base_url.rstrip("/") + path)
        notes.append(f"pushes: {account.name} → {path.replace(account.webhook_secret, '<secret>')}")
    return notes


def demo_telegram_link(*, sandbox: SandboxServer, user: AbstractBaseUser) -> str:
    """Link the demo user's "phone" the way a person does: a one-time deep link, then /start <token>
    sent from the phone; the dispatcher's Telegram poller answers it."""
    from notify.models import TelegramLink
    from notify.services.linking import telegram_link_token_create
    from sandbox.telegram import PHONE_CHAT_ID

    if TelegramLink.objects.filter(user=user, telegram_chat_id=PHONE_CHAT_ID).exists():
        return "already linked"
    invitation = telegram_link_token_create(user=user)
    sandbox.telegram.user_says(chat_id=PHONE_CHAT_ID, text=f"/start {invitation.token}", first_name="Демо")
    return "linked by /start"


DEMO_TEMPLATES = (
    (
        "Приветствие",
        "привет",
        "Здравствуйте, {{покупатель}}! Спасибо, что написали в «{{магазин}}». Сейчас всё проверим.",
    ),
    (
        "Где заказ",
        "доставка",
        "{{покупатель}}, заказ {{заказ}} уже в пути: статус доставки виден в карточке заказа в личном "
        "кабинете маркетплейса. Как только он прибудет в пункт выдачи, придёт уведомление.",
    ),
    (
        "Возврат брака",
        "возврат",
        "{{покупатель}}, очень жаль, что так вышло. Оформите, пожалуйста, возврат товара «{{товар}}» через "
        "личный кабинет маркетплейса и приложите фото — мы одобрим заявку без задержек.",
    ),
    (
        "Размер",
        "размер",
        "Подскажем с размером: для артикула {{артикул}} ориентируйтесь на таблицу размеров в карточке "
        "товара. Если сомневаетесь между двумя, берите больший.",
    ),
)


def demo_templates_ensure(*, user: AbstractBaseUser) -> int:
    """A few team templates, so "/" in the reply box shows something on the first run."""
    from assist.models import ReplyTemplate
    from assist.template_services import TemplateInput, template_create

    created = 0
    for title, shortcut, text in DEMO_TEMPLATES:
        if ReplyTemplate.objects.filter(owner__isnull=True, shortcut=shortcut).exists():
            continue
        template_create(user=user, data=TemplateInput(title=title, shortcut=shortcut, text=text, team=True))
        created += 1
    return created
