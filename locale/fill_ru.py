# ruff: noqa: E501  (a translation table: one line per string reads best)
"""Fill locale/ru/LC_MESSAGES/django.po from the table below (run after makemessages, then compilemessages).

Kept beside the catalogue so translations survive `makemessages` runs that add new strings.
"""

import re
import sys
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "ru" / "LC_MESSAGES" / "django.po"

RUSSIAN = {
    "Credentials": "Ключи доступа",
    "Fill in the fields of the selected marketplace. Secrets are never shown.": "Заполните поля выбранного маркетплейса. Секреты никогда не показываются.",
    "Cabinet": "Кабинет",
    "last successful sync": "последняя успешная синхронизация",
    "health": "состояние",
    "failing: %(error)s": "ошибка: %(error)s",
    "ok": "в порядке",
    "push URL": "адрес для push-уведомлений",
    "The marketplace refused the credentials: %(reason)s": "Маркетплейс не принял ключи доступа: %(reason)s",
    "Marketplace accounts": "Кабинеты маркетплейсов",
    "Unknown marketplace “%(name)s”. Expected one of: %(choices)s.": "Неизвестный маркетплейс «%(name)s». Допустимые: %(choices)s.",
    "Credentials must be a JSON object.": "Ключи доступа должны быть JSON-объектом.",
    "This field is required.": "Обязательное поле.",
    "Unexpected keys: %(keys)s.": "Лишние ключи: %(keys)s.",
    "Ozon Client-Id is a number, e.g. 123456.": "Client-Id Ozon — это число, например 123456.",
    "Yandex Market business ID is a number, e.g. 12345678.": "ID кабинета Яндекс Маркета — это число, например 12345678.",
    "This does not look like a Wildberries API token (a JWT of three dot-separated parts).": "Это не похоже на API-токен Wildberries (JWT из трёх частей через точку).",
    "Leave blank to keep the stored value.": "Оставьте пустым, чтобы сохранить текущее значение.",
    "Do not check the credentials with the marketplace": "Не проверять ключи на маркетплейсе",
    "Only for offline set-up; the first sync will report bad credentials.": "Только для настройки без сети: о неверных ключах сообщит первая синхронизация.",
    "Wildberries API token": "API-токен Wildberries",
    "Ozon Client-Id": "Client-Id Ozon",
    "Ozon Api-Key": "Api-Key Ozon",
    "Yandex Market Api-Key": "Api-Key Яндекс Маркета",
    "Yandex Market business ID": "ID кабинета (businessId) Яндекс Маркета",
    "Required for this marketplace.": "Обязательно для этого маркетплейса.",
    "Wildberries": "Wildberries",
    "Ozon": "Ozon",
    "Yandex Market": "Яндекс Маркет",
    "name": "название",
    "marketplace": "маркетплейс",
    "credentials": "ключи доступа",
    "cabinet ID": "ID кабинета",
    "active": "активен",
    "members": "сотрудники",
    "created": "создан",
    "updated": "изменён",
    "marketplace account": "кабинет маркетплейса",
    "marketplace accounts": "кабинеты маркетплейсов",
    "last attempt": "последняя попытка",
    "last success": "последний успех",
    "consecutive failures": "ошибок подряд",
    "last error": "последняя ошибка",
    "next sync": "следующая синхронизация",
    "rate limited until": "лимит запросов до",
    "capability notes": "ограничения доступа",
    "sync state": "состояние синхронизации",
    "sync states": "состояния синхронизации",
    "sync": "синхронизация",
    "backfill": "загрузка истории",
    "running": "идёт",
    "success": "успешно",
    "failed": "ошибка",
    "rate limited": "лимит запросов",
    "sync run": "запуск синхронизации",
    "sync runs": "запуски синхронизации",
    "Russian": "Русский",
    "English": "English",
    "Inbox": "Входящие",
    "chat": "чат",
    "question": "вопрос",
    "open": "открыт",
    "resolved": "решён",
    "snoozed": "отложен",
    "buyer": "покупатель",
    "order": "заказ",
    "SKU": "Артикул",
    "product": "товар",
    "product link": "ссылка на товар",
    "marketplace status": "статус на маркетплейсе",
    "status": "статус",
    "assignee": "ответственный",
    "unread": "непрочитано",
    "last message": "последнее сообщение",
    "awaiting reply since": "ждёт ответа с",
    "reply deadline": "ответить до",
    "chats": "чаты",
    "Can view the chats of every account": "Может видеть чаты всех кабинетов",
    "incoming": "входящее",
    "outgoing": "исходящее",
    "seller": "продавец",
    "support": "поддержка",
    "—": "—",
    "pending": "в очереди",
    "sending": "отправляется",
    "sent": "отправлено",
    "unknown": "неизвестно",
    "message": "сообщение",
    "messages": "сообщения",
    "Choose “open”, “resolved” or “snoozed”.": "Выберите «открыт», «решён» или «отложен».",
    "Choose when the chat should come back.": "Укажите, когда вернуть чат.",
    "Choose a time in the future.": "Выберите время в будущем.",
    "A chat can be snoozed for at most a year.": "Отложить чат можно не больше чем на год.",
    "Send it together with the status “snoozed”.": "Передайте его вместе со статусом «snoozed».",
    "for 1 hour": "на 1 час",
    "until tomorrow 9:00": "до завтра 9:00",
    "until Monday 9:00": "до понедельника 9:00",
    "Snoozed until %(until)s": "Отложен до %(until)s",
    "Back to open": "Вернуть в открытые",
    "Snooze (s)": "Отложить (s)",
    "Snooze for another time": "Отложить на другое время",
    "Snooze": "Отложить",
    "Until a date and time": "До даты и времени",
    "Snoozed": "Отложенные",
    "snooze": "отложить",
    "until %(until)s": "до %(until)s",
    "tomorrow %(time)s": "завтра %(time)s",
    "The assignee must be a member of this chat’s account.": "Ответственный должен быть сотрудником кабинета этого чата.",
    "Write a reply first.": "Сначала напишите ответ.",
    "The reply is %(length)s characters long; this marketplace accepts at most %(limit)s.": "В ответе %(length)s символов, а маркетплейс принимает не больше %(limit)s.",
    "This form was already used for another chat.": "Эта форма уже использована для другого чата.",
    "Back to the list": "Назад к списку",
    "Buyer": "Покупатель",
    "question about a product": "вопрос о товаре",
    ("marketplace order", "Order"): "Заказ",
    "answer by %(deadline)s": "ответить до %(deadline)s",
    "Reopen": "Открыть снова",
    "Resolve (e)": "Решить (e)",
    "Resolve": "Решить",
    "Assignee": "Ответственный",
    "— nobody —": "— никто —",
    "me": "я",
    "Assign": "Назначить",
    "Assign to me": "Взять себе",
    "Mark unread": "Не прочитано",
    "Marketplaces": "Маркетплейсы",
    "Chats with unread messages": "Чаты с непрочитанными сообщениями",
    "Open chats": "Открытые чаты",
    "Search: text, buyer, order, SKU": "Поиск: текст, покупатель, заказ, артикул",
    "Search": "Поиск",
    "Status": "Статус",
    "Open": "Открытые",
    "Resolved": "Решённые",
    "All statuses": "Все статусы",
    "Anyone": "Все сотрудники",
    "Mine": "Мои",
    "Unassigned": "Без ответственного",
    "Sort": "Сортировка",
    "Newest activity": "Сначала новые",
    "Longest waiting": "Дольше всех ждут",
    "Account": "Кабинет",
    "All accounts": "Все кабинеты",
    "Unread": "Непрочитанные",
    "Awaiting reply": "Ждут ответа",
    "Apply": "Применить",
    "the marketplace limits requests until %(until)s.": "маркетплейс ограничил запросы до %(until)s.",
    (
        "sync failed %(failures)s time in a row.",
        "sync failed %(failures)s times in a row.",
    ): [
        "синхронизация не удалась %(failures)s раз подряд.",
        "синхронизация не удалась %(failures)s раза подряд.",
        "синхронизация не удалась %(failures)s раз подряд.",
        "синхронизация не удалась %(failures)s раз подряд.",
    ],
    "Last successful sync: %(age)s.": "Последняя успешная синхронизация: %(age)s.",
    "No chats match these filters.": "Нет чатов под эти фильтры.",
    "No marketplace cabinets are connected to you yet. Ask an administrator to add you to one.": "К вам пока не подключён ни один кабинет маркетплейса. Попросите администратора добавить вас.",
    "synced %(age)s": "синхр. %(age)s",
    "not synced yet": "ещё не синхронизирован",
    "Earlier messages": "Более ранние сообщения",
    "No messages in this chat yet.": "В этом чате пока нет сообщений.",
    "Select a chat on the left.": "Выберите чат слева.",
    "next / previous chat": "следующий / предыдущий чат",
    "search": "поиск",
    "reply": "ответить",
    "resolve": "решить",
    "send (Shift+Enter: new line)": "отправить (Shift+Enter — новая строка)",
    "waiting %(age)s": "ждёт %(age)s",
    "Load more": "Показать ещё",
    "YM": "ЯМ",
    "Seller": "Продавец",
    "Marketplace": "Маркетплейс",
    "Marketplace support": "Поддержка маркетплейса",
    "file": "файл",
    "being checked by the marketplace": "на модерации у маркетплейса",
    "rejected by the marketplace's moderation": "отклонён модерацией маркетплейса",
    "image": "изображение",
    "not delivered": "не доставлено",
    "Retry": "Повторить",
    "checking delivery…": "проверяем доставку…",
    "delivered": "доставлено",
    "Reply": "Ответ",
    "Reply to the buyer… Enter sends, Shift+Enter adds a line": "Ответ покупателю… Enter — отправить, Shift+Enter — новая строка",
    "Too long: this marketplace accepts at most %(limit)s characters. Shorten the reply to send it.": "Слишком длинно: маркетплейс принимает не больше %(limit)s символов. Сократите ответ, чтобы отправить.",
    "Send": "Отправить",
    "Chat Center": "Чат-центр",
    "Chats": "Чаты",
    "Conversation": "Переписка",
    "now": "сейчас",
    "%(count)d min": "%(count)d мин",
    "%(count)d h": "%(count)d ч",
    "%(count)d d": "%(count)d дн",
    "Today": "Сегодня",
    "Yesterday": "Вчера",
    "The marketplace is still checking this file. Try again in a few minutes.": "Маркетплейс ещё проверяет этот файл. Попробуйте через несколько минут.",
    "The marketplace rejected this file in moderation; it cannot be downloaded.": "Маркетплейс отклонил этот файл на модерации, скачать его нельзя.",
    "The marketplace did not return the file: %(reason)s": "Маркетплейс не отдал файл: %(reason)s",
    "WB": "WB",
    "All": "Все",
    "Administration": "Администрирование",
    "Log out": "Выйти",
    "Language": "Язык",
    "Log in": "Войти",
    "Log in to Chat Center": "Вход в Чат-центр",
    "Wrong username or password. Please try again.": "Неверное имя пользователя или пароль. Попробуйте ещё раз.",
    "Username": "Имя пользователя",
    "Password": "Пароль",
    # Files in replies
    "outgoing file": "исходящий файл",
    "outgoing files": "исходящие файлы",
    "Attach a file": "Прикрепить файл",
    "The file is larger than %(megabytes)s MB: %(name)s": "Файл больше %(megabytes)s МБ: %(name)s",
    "%(marketplace)s accepts only %(extensions)s files: %(name)s": "%(marketplace)s принимает только файлы %(extensions)s: %(name)s",
    "Files %(extensions)s up to %(megabytes)s MB": "Файлы %(extensions)s до %(megabytes)s МБ",
    "Any file up to %(megabytes)s MB": "Любой файл до %(megabytes)s МБ",
    "Files cannot be sent to this chat.": "В этот чат нельзя отправить файл.",
    ("Attach at most %(count)s file to one reply.", "Attach at most %(count)s files to one reply."): [
        "К одному ответу можно приложить не больше %(count)s файла.",
        "К одному ответу можно приложить не больше %(count)s файлов.",
        "К одному ответу можно приложить не больше %(count)s файлов.",
        "К одному ответу можно приложить не больше %(count)s файла.",
    ],
    "The file name needs an extension, e.g. .pdf: %(name)s": "У имени файла должно быть расширение, например .pdf: %(name)s",
    "The file is empty: %(name)s": "Файл пустой: %(name)s",
    "The file content does not match its extension: %(name)s": "Содержимое файла не соответствует расширению: %(name)s",
}


def _unquote(lines: list[str]) -> str:
    return "".join(re.match(r'^(?:\S+\s)?"(.*)"$', line).group(1) for line in lines).replace('\\"', '"')


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field(lines: list[str], name: str) -> tuple[int, int] | None:
    """(start, end) line range of a field such as msgid, including its continuation lines."""
    for index, line in enumerate(lines):
        if line.startswith(name + " "):
            end = index + 1
            while end < len(lines) and lines[end].startswith('"'):
                end += 1
            return index, end
    return None


def fill(text: str) -> tuple[str, list[str]]:
    blocks = text.split("\n\n")
    missing: list[str] = []
    for position, block in enumerate(blocks):
        lines = block.splitlines()
        msgid_range = _field(lines, "msgid")
        if msgid_range is None:
            continue
        msgid = _unquote(lines[msgid_range[0] : msgid_range[1]])
        if not msgid:
            # the header: no longer a draft
            header = "\n".join(line for line in lines if line != "#, fuzzy")
            blocks[position] = header.replace('"Language: \\n"', '"Language: ru\\n"').replace(
                '"Project-Id-Version: PACKAGE VERSION\\n"', '"Project-Id-Version: Chat Center\\n"'
            )
            continue
        context_range = _field(lines, "msgctxt")
        plural_range = _field(lines, "msgid_plural")
        key: object = msgid
        if context_range:
            key = (_unquote(lines[context_range[0] : context_range[1]]), msgid)
        if plural_range:
            key = (msgid, _unquote(lines[plural_range[0] : plural_range[1]]))
        translation = RUSSIAN.get(key)
        if translation is None:
            missing.append(msgid)
            continue
        kept = [line for line in lines if not line.startswith(("msgstr", '"')) or _in(lines, line)]
        kept = [line for line in kept if line != "#, fuzzy" and not line.startswith("#| ")]
        if isinstance(translation, list):
            kept += [f"msgstr[{index}] {_quote(form)}" for index, form in enumerate(translation)]
        else:
            kept.append(f"msgstr {_quote(translation)}")
        blocks[position] = "\n".join(kept)
    return "\n\n".join(blocks), missing


def _in(lines: list[str], line: str) -> bool:
    """True for continuation lines that belong to msgctxt/msgid/msgid_plural (not to msgstr)."""
    index = lines.index(line)
    while index > 0 and lines[index].startswith('"'):
        index -= 1
    return not lines[index].startswith("msgstr")


if __name__ == "__main__":
    filled, missing = fill(CATALOGUE.read_text())
    CATALOGUE.write_text(filled if filled.endswith("\n") else filled + "\n")
    if missing:
        print("Untranslated:", *missing, sep="\n  ")
        sys.exit(1)
