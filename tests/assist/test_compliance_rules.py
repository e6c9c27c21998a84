"""The rules of the pre-send check (DESIGN.md §14): disguises, clean look-alikes, exact code-point spans."""

import pytest
from django.utils import translation

from assist.compliance import compliance_check
from assist.compliance.types import RULES, SEVERITIES

WILDBERRIES, OZON, YANDEX_MARKET = "wildberries", "ozon", "yandex_market"


def found(text: str, marketplace: str = OZON) -> list[tuple[str, str]]:
    result = compliance_check(text=text, marketplace=marketplace)
    return [(violation.rule, text[violation.start : violation.end]) for violation in result.violations]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Звоните 8 (916) 123-45-67, ответим", "8 (916) 123-45-67"),
        ("Наш номер +7 903 123 45 67", "+7 903 123 45 67"),
        ("Номер 8.999.765.43.21", "8.999.765.43.21"),
        ("Наберите 8-9-2-6-1-1-1-2-2-3-3", "8-9-2-6-1-1-1-2-2-3-3"),
        ("Звоните 89161234567", "89161234567"),
        ("Курьер: 9261234567", "9261234567"),
        ("Горячая линия 8 800 555-35-35", "8 800 555-35-35"),
        ("Мой +380 67 123 45 67", "+380 67 123 45 67"),
        ("Офис 123-45-67", "123-45-67"),
        ("Тел. 8 (495) 🔥 123 🔥 45 🔥 67", "8 (495) 🔥 123 🔥 45 🔥 67"),
        ("Номер 8 (9l6) 12З-45-67", "8 (9l6) 12З-45-67"),
        (
            "Звоните восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
            "восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
        ),
        (
            "Плюс семь, девять ноль пять, один два три, четыре пять, шесть семь",
            "семь, девять ноль пять, один два три, четыре пять, шесть семь",
        ),
        ("Позвоните: восемь 9 ноль 3 сто двадцать три 45 шестьдесят семь", None),
        ("Номер: 8 девятьсот 16 123 45 67", "8 девятьсот 16 123 45 67"),
        # A bare 11-digit number starting with 7 or 8 is a phone even when called an article.
        ("Артикул 79031234567", "79031234567"),
    ],
)
def test_phones_and_their_disguises_are_found(text: str, span: str | None) -> None:
    hits = found(text)
    assert [rule for rule, _ in hits] == ["contact_phone"]
    if span is not None:
        assert hits[0][1] == span


def test_keycap_emoji_digits_are_a_phone_spanning_the_marks() -> None:
    text = "Номер 8️⃣9️⃣0️⃣3️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣"
    assert found(text) == [("contact_phone", text[6:])]


@pytest.mark.parametrize(
    "text",
    [
        "Ваше отправление 87654321-0012-1 передано в доставку",
        "Номер вашего заказа 4823991057, сборочное задание на складе",
        "Заказ № 52871349 будет в пункте выдачи завтра с 10:00 до 20:00",
        "Артикул 187654321, размеры 42–44 в наличии",
        "SKU 1487236590 стоит 2 490 ₽ до 30.11.2026",
        "Трек-номер 80085219384756, посылка придёт через 3–5 дней",
        "Трек 8008 5234 5678 90",
        "Штрихкод 4601234567890 совпадает с карточкой",
        "Заказ 89161234567 собран",
        "Стоимость 1 250 ₽, 3 650 ₽ за три, 5 900 ₽ за пять штук",
        "Доставим 24.12.2026 с 12:00 до 15:00 или 25.12.2026 с 09:00 до 12:00",
        "Размеры коробки 40×30×20 см, вес 2,5 кг",
        "Номер отправления 98765432-0005-2",
        "Заказ 0123456789-0001 у курьера",
    ],
)
def test_order_posting_article_price_size_date_track_numbers_are_not_phones(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Пишите на shop.help@gmail.com", "shop.help@gmail.com"),
        ("Почта: support_shop собака yandex точка ru", "support_shop собака yandex точка ru"),
        ("Пишите: ivanov.shop (at) mail (dot) ru", "ivanov.shop (at) mail (dot) ru"),
        ("Для претензий claims[at]brandshop[.]ru", "claims[at]brandshop[.]ru"),
        ("Контакт: helpdesk @ shopname . com", "helpdesk @ shopname . com"),
    ],
)
def test_emails_and_their_disguises(text: str, span: str) -> None:
    assert found(text) == [("contact_email", span)]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Каталог на brandshop.ru", "brandshop.ru"),
        ("Инструкция: https://disk.yandex.ru/d/abc123", "https://disk.yandex.ru/d/abc123"),
        ("По ссылке bit.ly/3xYzAb скидка", "bit.ly/3xYzAb"),
        ("Дешевле на ozon.ru.example.com", "ozon.ru.example.com"),
        ("Наш сайт мойбренд.рф", "мойбренд.рф"),
        ("Сайт brandshop точка ру", "brandshop точка ру"),
        ("Каталог shop[.]com/catalog", "shop[.]com/catalog"),
        ("Всё на сайте shop . ru", "shop . ru"),
        ("Смотрите hxxps://goo.gl/abcd", "hxxps://goo.gl/abcd"),
        # Cyrillic "о" in a Latin host: a look-alike of ozon.ru.
        ("Скидки на оzоn.ru.promo-shop.com", "оzоn.ru.promo-shop.com"),
    ],
)
def test_links_shorteners_look_alikes_and_disguised_domains(text: str, span: str) -> None:
    assert found(text) == [("contact_link", span)]


@pytest.mark.parametrize(
    ("marketplace", "text"),
    [
        (OZON, "Вернуть товар можно на ozon.ru/my/returns или в приложении"),
        (OZON, "Подробнее на https://seller.ozon.ru/help"),
        (WILDBERRIES, "Оформите возврат на wildberries.ru в разделе «Покупки»"),
        (WILDBERRIES, "Статус на www.wb.ru/lk"),
        (YANDEX_MARKET, "Инструкция: market.yandex.ru/help"),
        (OZON, "Версия 2.4.1, Bluetooth 5.3, т.е. всё работает, г.Москва, фото.jpg"),
    ],
)
def test_the_marketplaces_own_links_and_dotted_non_links_pass(marketplace: str, text: str) -> None:
    assert found(text, marketplace) == []


def test_another_marketplaces_domain_is_a_link() -> None:
    assert found("Подробнее на ozon.ru", WILDBERRIES) == [("contact_link", "ozon.ru")]


@pytest.mark.parametrize(
    ("marketplace", "text"),
    [
        (OZON, "Товар: https://www.ozon.ru/product/89161234567"),
        (OZON, "Товар: https://www.ozon.ru/product/chekhol-89161234567/"),
        (OZON, "Ссылка на товар ozon.ru/t/89161234567, ждём отзыв"),
        (WILDBERRIES, "Карточка: https://www.wildberries.ru/catalog/89161234567/detail.aspx"),
        (YANDEX_MARKET, "Товар: https://market.yandex.ru/product--chekhol/89161234567"),
    ],
)
def test_an_id_in_the_path_of_the_marketplaces_own_link_is_no_phone(marketplace: str, text: str) -> None:
    assert found(text, marketplace) == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        # A query or fragment takes any text: a phone there is a phone.
        ("Пишите: ozon.ru/?phone=+79161234567", "+79161234567"),
        ("Товар https://www.ozon.ru/product/1487236590/?tel=89161234567", "89161234567"),
        ("Товар ozon.ru/product/1487236590#call=9161234567", "9161234567"),
        # No marketplace page sits directly under the domain: the number is the whole point of the link.
        ("Звоните: ozon.ru/89161234567", "89161234567"),
        ("Звоните: https://www.ozon.ru/89161234567/", "89161234567"),
        # Words run on after the path are no path.
        ("Товар ozon.ru/product/1487236590/,звоните:89161234567", "89161234567"),
    ],
)
def test_a_phone_in_the_marketplaces_own_link_outside_its_id_path_is_a_phone(text: str, span: str) -> None:
    assert found(text) == [("contact_phone", span)]


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("Пишите в телегу @shop_help", ["телегу", "@shop_help"]),
        ("Добавьтесь в вотсап", ["вотсап"]),
        ("Мы есть в вайбере и в ватсапе", ["вайбере", "ватсапе"]),
        ("Наш ТГ канал", ["ТГ"]),
        ("Есть группа ВК", ["ВК"]),
        ("Подпишитесь на инсту", ["инсту"]),
        ("Пиши в Тeлeгрaм", ["Тeлeгрaм"]),
        ("Найдите нас в в контакте", ["контакте"]),
        ("t.me/brand_help — поддержка", ["t.me/brand_help"]),
        ("Чат: wa.me/79031234567", ["wa.me/79031234567"]),
        ("Пишите в MAX, там быстрее", ["MAX"]),
        ("Связь через мессенджер Макс", ["Макс"]),
    ],
)
def test_messengers_by_name_abbreviation_handle_and_link(text: str, spans: list[str]) -> None:
    assert found(text) == [("contact_messenger", span) for span in spans]


@pytest.mark.parametrize(
    "text",
    [
        "Чехол подходит для iPhone 15 Pro Max",
        "Максим, спасибо за отзыв!",
        "Максимум три дня на доставку",
        "Мы общаемся с покупателями только в этом чате",
    ],
)
def test_max_is_a_messenger_only_where_named_as_one(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Отмените, пожалуйста, заказ, пришлём другой", "Отмените"),
        ("Лучше отменить заказ и оформить заново", "отменить"),
        ("Не забирайте заказ в пункте выдачи", "Не забирайте"),
        ("Откажитесь от товара при получении", "Откажитесь"),
        ("Оформите отмену в приложении", "Оформите отмену"),
        ("Не выкупайте заказ, мы пришлём новый", "Не выкупайте"),
        ("Нажмите «Отменить заказ» в приложении", "Отменить"),
        ("Не надо забирать заказ, он бракованный", "Не надо забирать"),
    ],
)
def test_asking_or_advising_to_cancel(text: str, span: str) -> None:
    assert found(text) == [("cancel_order", span)]


@pytest.mark.parametrize(
    "text",
    [
        "К сожалению, заказ был отменён автоматически",
        "Вы отменили заказ, деньги вернутся",
        "Не отменяйте заказ, пожалуйста: товар уже едет",
        "Отменить заказ можно только до передачи в доставку, сейчас уже нельзя",
        "Пожалуйста, не отказывайтесь от заказа: товар исправен",
        "Заберите заказ в пункте выдачи до пятницы",
    ],
)
def test_saying_an_order_was_cancelled_is_not_asking(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Пришлите, пожалуйста, номер телефона", "Пришлите, пожалуйста, номер телефона"),
        ("Напишите ваш адрес, отправим замену", "Напишите ваш адрес"),
        ("Сообщите номер карты", "Сообщите номер карты"),
        ("Продиктуйте дату рождения", "Продиктуйте дату рождения"),
        ("Нам нужен ваш СНИЛС", "нужен ваш СНИЛС"),
        ("Уточните ваш e-mail для чека", "Уточните ваш e-mail"),
        ("Скиньте свой номер, свяжемся", "Скиньте свой номер"),
        ("Укажите паспортные данные", "Укажите паспортные"),
        ("Какой у вас номер телефона?", "вас номер телефона"),
    ],
)
def test_asking_for_personal_data(text: str, span: str) -> None:
    assert found(text) == [("personal_data_request", span)]


@pytest.mark.parametrize(
    "text",
    [
        "Пришлите, пожалуйста, номер заказа и фото брака",
        "Адрес пункта выдачи указан в приложении",
        "Проверьте адрес доставки в личном кабинете",
        "Чек придёт на электронную почту, указанную в профиле",
        "Подарочная карта не входит в комплект",
        "Телефон в карточке — модель Redmi Note 13 Pro",
        "Напишите, какой размер вы носите",
        "Вы можете указать другой адрес в заказе до его сборки",
        "Напишите на почту поддержки маркетплейса через приложение",
        "Какой у вас номер заказа?",
        "Есть ли у вас вопросы по адресу пункта выдачи?",
    ],
)
def test_mentioning_personal_data_without_asking_passes(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("Вы что, идиот?", ["идиот"]),
        ("Вы идиотка?", ["идиотка"]),
        ("Бл*ть, опять", ["Бл*ть"]),
        ("Вот же с*ка", ["с*ка"]),
        ("Бл@дь, опять", ["Бл@дь"]),
        ("cука", ["cука"]),
        ("Не надо тут выёбываться", ["выёбываться"]),
        ("Полная херня", ["херня"]),
        ("Да вы охренели", ["охренели"]),
    ],
)
def test_profanity_also_censored_and_with_latin_look_alikes(text: str, spans: list[str]) -> None:
    assert found(text) == [("profanity", span) for span in spans]


@pytest.mark.parametrize(
    "text",
    [
        "Требуется замена",
        "Хлеба и мандарины",
        "Оскорблять покупателей нельзя",
        "Застрахуем посылку",
        "Блин, извините",
    ],
)
def test_words_containing_swear_roots_pass(text: str) -> None:
    assert found(text) == []


def test_disparagement_is_a_warning_not_a_block() -> None:
    text = "Озон опять всё перепутал, это ужасная площадка"
    result = compliance_check(text=text, marketplace=OZON)
    assert result.allowed is True
    assert [(v.rule, v.severity, v.start, v.end) for v in result.violations] == [
        ("marketplace_disparagement", "warn", 0, len(text))
    ]


@pytest.mark.parametrize(
    "text",
    [
        "У других продавцов одни подделки",
        "Конкуренты продают барахло",
        "Маркетплейс обманывает покупателей",
    ],
)
def test_disparaging_other_sellers_or_a_marketplace(text: str) -> None:
    assert [rule for rule, _ in found(text)] == ["marketplace_disparagement"]


def test_neutral_mentions_of_a_marketplace_pass() -> None:
    assert found("Мы передали информацию на склад Ozon, ответ придёт в течение 24 часов") == []
    assert found("Курьер, к сожалению, задержал доставку Ozon из-за погоды") == []


def test_offsets_are_code_points_with_emoji_before_the_span() -> None:
    # 😀 and 👍 are one code point each; 🇷🇺 is two; the family emoji is five (with zero-width joiners).
    text = "😀👍🇷🇺👨‍👩‍👧 Звоните 8 916 123-45-67"
    result = compliance_check(text=text, marketplace=OZON)
    assert [(v.rule, v.start, v.end) for v in result.violations] == [("contact_phone", 18, 33)]
    assert text[18:33] == "8 916 123-45-67"


def test_offsets_count_leading_whitespace_as_given() -> None:
    text = "  \n Пишите в тг"
    result = compliance_check(text=text, marketplace=OZON)
    assert [(v.rule, v.start, v.end) for v in result.violations] == [("contact_messenger", 13, 15)]


@pytest.mark.parametrize("text", ["", " ", "\n\t ", "\u00a0\u2003"])
def test_empty_is_whitespace_only_and_spans_the_whole_text(text: str) -> None:
    result = compliance_check(text=text, marketplace=WILDBERRIES)
    assert result.allowed is False
    spans = [(v.rule, v.severity, v.start, v.end) for v in result.violations]
    assert spans == [("empty", "block", 0, len(text))]


def test_emoji_only_text_is_not_empty() -> None:
    assert found("👍", OZON) == []


@pytest.mark.parametrize(
    ("marketplace", "length", "too_long"),
    [
        (WILDBERRIES, 1000, False),
        (WILDBERRIES, 1001, True),
        (OZON, 1000, False),
        (OZON, 1001, True),
        (YANDEX_MARKET, 4096, False),
        (YANDEX_MARKET, 4097, True),
    ],
)
def test_too_long_counts_code_points_against_the_marketplace_limit(
    marketplace: str, length: int, too_long: bool
) -> None:
    # Emoji outside the BMP: one code point each, two UTF-16 units; the limit counts code points.
    text = ("Спасибо за заказ 🙂 " * 300)[: length - 1] + "!"
    assert len(text) == length
    violations = compliance_check(text=text, marketplace=marketplace).violations
    expected = [("too_long", "block", 0, length)] if too_long else []
    assert [(v.rule, v.severity, v.start, v.end) for v in violations] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Спасибо!", True),
        ("  Здравствуйте 👋 ", True),
        ("👍 Принято", True),
        ("Спасибо за заказ", False),
        ("Да-да", False),
        ("Размер 44", False),
    ],
)
def test_too_short_is_one_word_on_wildberries_only(text: str, expected: bool) -> None:
    result = compliance_check(text=text, marketplace=WILDBERRIES)
    spans = [("too_short", "warn", 0, len(text))] if expected else []
    assert [(v.rule, v.severity, v.start, v.end) for v in result.violations] == spans
    assert result.allowed is True
    assert compliance_check(text=text, marketplace=OZON).violations == ()


def test_one_violation_per_occurrence_sorted_by_position() -> None:
    text = "Идиот, пиши в телегу или на ivan@mail.ru, звони 89161234567"
    assert found(text) == [
        ("profanity", "Идиот"),
        ("contact_messenger", "телегу"),
        ("contact_email", "ivan@mail.ru"),
        ("contact_phone", "89161234567"),
    ]


def test_disabled_rules_are_not_reported_and_allowed_follows_blocks() -> None:
    text = "Звоните 89161234567. Озон — ужасная площадка"
    result = compliance_check(text=text, marketplace=OZON, disabled_rules=frozenset({"contact_phone"}))
    assert result.allowed is True
    assert [v.rule for v in result.violations] == ["marketplace_disparagement"]
    result = compliance_check(text=text, marketplace=OZON)
    assert result.allowed is False


def test_messages_are_russian_and_severities_are_fixed() -> None:
    assert SEVERITIES == {
        "contact_phone": "block",
        "contact_email": "block",
        "contact_link": "block",
        "contact_messenger": "block",
        "cancel_order": "block",
        "personal_data_request": "block",
        "profanity": "block",
        "marketplace_disparagement": "warn",
        "too_long": "block",
        "too_short": "warn",
        "empty": "block",
    }
    assert set(RULES) == set(SEVERITIES)
    with translation.override("ru"):
        violation = compliance_check(text="Звоните 89161234567", marketplace=OZON).violations[0]
    assert violation.message == "Номера телефонов нельзя отправлять покупателям"
    with translation.override("en"):
        violation = compliance_check(text="Звоните 89161234567", marketplace=OZON).violations[0]
    assert violation.message == "Phone numbers must not be sent to buyers"


def test_unknown_marketplace_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        compliance_check(text="Добрый день", marketplace="aliexpress")


# Disguises and their clean look-alikes: (text, [(rule, the characters its span covers)]).
INVISIBLE_AND_COMPATIBILITY_CHARACTERS = [
    # Format characters (soft hyphen, word joiner, zero-width joiner and space) inside words and numbers.
    ("Пишите в теле\u00adграм", [("contact_messenger", "теле\u00adграм")]),
    ("Пишите в теле\u2060грам", [("contact_messenger", "теле\u2060грам")]),
    ("Есть what\u200dsapp", [("contact_messenger", "what\u200dsapp")]),
    ("Сайт myshop\u200b.ru", [("contact_link", "myshop\u200b.ru")]),
    ("Пишите ivan@\u200bmail\u200b.ru", [("contact_email", "ivan@\u200bmail\u200b.ru")]),
    ("Мы тут: @\u200bivan_shop", [("contact_messenger", "@\u200bivan_shop")]),
    ("Отме\u200bните заказ", [("cancel_order", "Отме\u200bните")]),
    (
        "Звоните 8\u2060912\u2060345\u206067\u206089",
        [("contact_phone", "8\u2060912\u2060345\u206067\u206089")],
    ),
    # Offsets after removed characters still point into the text as given.
    ("\u200bЗдравствуйте\u00ad! Пишите в тг", [("contact_messenger", "тг")]),
    # Characters that NFKC folds to one ordinary character: full-width, mathematical, circled, subscript.
    ("Пишите ivan@ｍａｉｌ.ｒｕ", [("contact_email", "ivan@ｍａｉｌ.ｒｕ")]),
    ("Канал ｔ.ｍｅ/ivan", [("contact_messenger", "ｔ.ｍｅ/ivan")]),
    ("Сайт ivanshop．ru", [("contact_link", "ivanshop．ru")]),
    ("Сайт ivanshop。ru", [("contact_link", "ivanshop。ru")]),
    ("Пишите в 𝐭𝐞𝐥𝐞𝐠𝐫𝐚𝐦", [("contact_messenger", "𝐭𝐞𝐥𝐞𝐠𝐫𝐚𝐦")]),
    ("Пишите в ᴛᴇʟᴇɢʀᴀᴍ", [("contact_messenger", "ᴛᴇʟᴇɢʀᴀᴍ")]),
    ("Номер ₈₉₁₂₃₄₅₆₇₈₉", [("contact_phone", "₈₉₁₂₃₄₅₆₇₈₉")]),
    ("Номер ⑧⑨①②③④⑤⑥⑦⑧⑨", [("contact_phone", "⑧⑨①②③④⑤⑥⑦⑧⑨")]),
    # Ordinary text with such characters passes.
    ("Размер ⅩⅬ, объём ½ л, площадь 2 м², 10⁶ вариантов", []),
    ("Спасибо за заказ 👨\u200d👩\u200d👧 ждём снова", []),
    ("Товар № 5 в наличии, цена 1 990 ₽", []),
    ("Заказ ⑫ из серии готов", []),
]

LABELLED_NUMBERS = [
    # A label excuses a number only as a whole word directly before it, in the same sentence.
    ("Ваш заказ в пути, мой номер 9123456789", [("contact_phone", "9123456789")]),
    ("Отправим заказ сегодня. Наш номер 89123456789", [("contact_phone", "89123456789")]),
    ("Оплата картой, звоните 9123456789", [("contact_phone", "9123456789")]),
    ("Мышка в наличии, 9123456789", [("contact_phone", "9123456789")]),
    ("Заказ получили? Если что — 345-67-89", [("contact_phone", "345-67-89")]),
    ("Картой или наличными? Мой: 9123456789", [("contact_phone", "9123456789")]),
    ("По заказу пишите 89123456789", [("contact_phone", "89123456789")]),
    (
        "Отправили заказ! Наш WhatsApp-номер 89123456789",
        [("contact_messenger", "WhatsApp"), ("contact_phone", "89123456789")],
    ),
    # Labelled numbers in the marketplaces' formats pass.
    ("Заказ 12345678-0001-1 собран", []),
    ("артикул 123456789", []),
    ("Артикул WB: 9123456789", []),
    ("арт. 9123456789", []),
    ("Номер заказа 89123456789", []),
    ("Номер заказа Яндекс Маркет 9123456789", []),
    ("Заказ №4823991057 собран", []),
    ("Заказы 4823991057 и 4823991058 собраны", []),
    ("Трек-номер: 80085219384756", []),
    ("Штрих-код 4601234567890", []),
    ("Код товара 7123456789", []),
]

PHONE_DIGITS_IN_DISGUISE = [
    # Number words written with a Latin look-alike letter.
    (
        "вoсемь девять oдин два три четыре пять шесть семь вoсемь девять",
        [("contact_phone", "вoсемь девять oдин два три четыре пять шесть семь вoсемь девять")],
    ),
    # A look-alike letter for a digit at the edge of a digit group, not only between digits.
    ("Звоните 8 912 345 67 8О", [("contact_phone", "8 912 345 67 8О")]),
    ("Звоните 8 (912) З45-67-89", [("contact_phone", "8 (912) З45-67-89")]),
    ("Наберите 8-912-345-67-8o", [("contact_phone", "8-912-345-67-8o")]),
    # Middle dots, bullets and commas between the groups.
    ("Звоните 8·912·345·67·89", [("contact_phone", "8·912·345·67·89")]),
    ("Звоните 8•912•345•67•89", [("contact_phone", "8•912•345•67•89")]),
    ("Позвоните: 8, 912, 345, 67, 89", [("contact_phone", "8, 912, 345, 67, 89")]),
    ("Позвоните: 912, 345, 67, 89", [("contact_phone", "912, 345, 67, 89")]),
    # Lists of sizes, positions and prices are not phones; nor are letters in words next to digits.
    ("Размеры 48, 50, 52, 54, 56 в наличии", []),
    ("Позиция 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 в наличии", []),
    ("Цены: 990, 890, 790, 690 ₽", []),
    ("Объём 1.5l, 2l и 3l, модели 2020, 2021", []),
    ("BMW 320i 2019 года, пробег 45 000", []),
]

EMAILS_IN_DISGUISE = [
    # Cyrillic local parts, and "собака" in brackets as an "@" like "(at)".
    ("Пишите иван@mail.ru", [("contact_email", "иван@mail.ru")]),
    ("Пишите: иван.петров@почта.рф", [("contact_email", "иван.петров@почта.рф")]),
    ("Пишите ivan(собака)gmail", [("contact_email", "ivan(собака)gmail")]),
    ("Пишите ivan(собака)mail.ru", [("contact_email", "ivan(собака)mail.ru")]),
    ("Пишите ivan [собака] gmail.com", [("contact_email", "ivan [собака] gmail.com")]),
    ("Пишите ivan {собачка} yandex.ru", [("contact_email", "ivan {собачка} yandex.ru")]),
    # A dog is no "@", nor is "@" between words.
    ("Лежанка (собака до 20 кг) в наличии", []),
    ("С уважением, Магазин @ Озон", []),
]

EMAILS_TOLD_IN_WORDS = [
    # A Latin login and the mail service named: "ivan на gmail", "gmail: ivan", "почта: ivan_shop".
    ("Пишите ivan на gmail", [("contact_email", "ivan на gmail")]),
    ("Пишите на gmail: ivan", [("contact_email", "gmail: ivan")]),
    ("Пишите ivan.petrov на яндекс почту", [("contact_email", "ivan.petrov на яндекс почту")]),
    ("Наш ящик shop_help на mail.ru", [("contact_email", "shop_help на mail.ru")]),
    ("Мы на мейл ру — brandshop2024", [("contact_email", "мейл ру — brandshop2024")]),
    ("Почта: ivan_shop, пишите", [("contact_email", "Почта: ivan_shop")]),
    ("E-mail — ivan.petrov", [("contact_email", "E-mail — ivan.petrov")]),
    ("Пишите на почту ivan.petrov", [("contact_email", "почту ivan.petrov")]),
    ("Почта: ivan_shop на яндекс почте, пишите", [("contact_email", "Почта: ivan_shop на яндекс почте")]),
    # Without a colon or dash, a word after the service is a login only in a login's shape.
    ("Пишите на gmail ivan.petrov", [("contact_email", "gmail ivan.petrov")]),
    # The mail the marketplace sends, the buyer's own mailbox, and services that are no mailbox pass.
    ("Мы отправили на почту уведомление", []),
    ("Проверьте почту, пожалуйста", []),
    ("Письмо придёт на вашу почту от Ozon", []),
    ("Чек придёт на почту: Ozon отправляет его сам", []),
    ("Инструкцию в PDF пришлём на почту.", []),
    ("Заказали AirPods на Yandex Market?", []),
    ("Купили iPhone на Яндекс Маркете, он пришёл", []),
    ("Сохраните фото в iCloud Drive или Google Photos", []),
    ("Почта России доставит заказ за 5 дней", []),
    # A Russian Post tracking number is no login; a site after "почта" is judged as a link.
    ("Почта: RA644000001RU — трек-номер посылки", []),
    ("Почта - lk.ozon.ru", []),
    ("Почта: ivan.petrov.ru", [("contact_link", "ivan.petrov.ru")]),
]

LINKS_IN_DISGUISE = [
    # Punycode, and a messenger's domain written all in Cyrillic look-alikes.
    ("Наш сайт xn--80aswg.xn--p1ai", [("contact_link", "xn--80aswg.xn--p1ai")]),
    ("Пишите т.ме/ivan", [("contact_messenger", "т.ме/ivan")]),
    ("Канал https://т.ме/ivan_shop", [("contact_messenger", "https://т.ме/ivan_shop")]),
    ("Пишите т . ме / ivan", [("contact_messenger", "т . ме")]),
    # A Cyrillic label before a lower-case common top-level domain is still a link.
    ("Заходите на мойбренд.com", [("contact_link", "мойбренд.com")]),
    # A sentence run into the next one after a full stop is no link.
    ("Спасибо за заказ.Apple Watch в наличии", []),
    ("Часы оригинал.Apple даёт гарантию", []),
    ("Товар в наличии.Com", []),
    ("Доставка по РФ.Ru", []),
    ("Сделаем так.То есть завтра", []),
]

MESSENGER_WORDS_IN_CONTEXT = [
    # "Телега" is a garden cart unless named as a place to write; "в контакте с" is touching something.
    ("Телега для сада, грузоподъёмность 100 кг", []),
    ("Садовая телега на двух колёсах в наличии", []),
    ("Это в контакте с кожей безопасно", []),
    ("Материал безопасен при контакте с пищей", []),
    ("Найдите нас в телеге по названию бренда", [("contact_messenger", "телеге")]),
    ("Наша телега: brandhelp", [("contact_messenger", "телега")]),
    ("Мы есть в контакте, ищите по названию", [("contact_messenger", "контакте")]),
    # Slang for Telegram as a place to write or send to; the cart's wheels and a cart in stock pass.
    ("Положите в телегу", [("contact_messenger", "телегу")]),
    ("Скину в телегу ссылку на инструкцию", [("contact_messenger", "телегу")]),
    ("Пишите в телегу, ответим", [("contact_messenger", "телегу")]),
    ("Колёса для телеги продаются отдельно", []),
    ("Садовая телега в наличии", []),
]

CANCELLING_ON_THE_BUYERS_OWN_MIND = [
    # Saying the buyer may cancel if they change their mind is the platform's own flow, not advice.
    ("Если передумаете, заказ можно отменить в приложении до отправки.", []),
    ("Если вы передумали, вы можете отменить заказ в личном кабинете", []),
    # Recommending it, asking for it, or offering it without the buyer's change of mind is advice.
    ("Если передумаете, лучше отменить заказ", [("cancel_order", "отменить")]),
    ("Если передумаете, отмените заказ в приложении", [("cancel_order", "отмените")]),
    ("Заказ можно отменить в приложении, пришлём другой", [("cancel_order", "отменить")]),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *INVISIBLE_AND_COMPATIBILITY_CHARACTERS,
        *LABELLED_NUMBERS,
        *PHONE_DIGITS_IN_DISGUISE,
        *EMAILS_IN_DISGUISE,
        *EMAILS_TOLD_IN_WORDS,
        *LINKS_IN_DISGUISE,
        *MESSENGER_WORDS_IN_CONTEXT,
        *CANCELLING_ON_THE_BUYERS_OWN_MIND,
    ],
)
def test_disguises_are_found_and_look_alikes_pass(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected
