"""contact_phone: phone numbers, also spelled out in Russian or split by spaces, dots, dashes, emoji.

Candidate digit sequences are found here (the disguises are ours to undo); whether a sequence is a real
number is decided by `phonenumbers` (Google's libphonenumber metadata: valid ranges per country, so
"8 916 …" and "+380 …" are phones and a 10-digit Ozon SKU starting with 1 is not).
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from assist.compliance.text import Prepared, is_separator, read_word
from assist.compliance.types import CONTACT_PHONE, Span


def _numbers(text: str) -> dict[str, int]:
    """Number words in the order of their values, from the first value on ("один одна одно" share one)."""
    return {word: value for value, words in text for word in words.split()}


_UNITS = _numbers(
    [
        (0, "ноль нуль"), (1, "один одна одно"), (2, "два две"), (3, "три"), (4, "четыре"), (5, "пять"),
        (6, "шесть"), (7, "семь"), (8, "восемь"), (9, "девять"),
    ]
)  # fmt: skip
_TEENS = {
    word: value
    for value, word in enumerate(
        [
            "десять",
            "одиннадцать",
            "двенадцать",
            "тринадцать",
            "четырнадцать",
            "пятнадцать",
            "шестнадцать",
            "семнадцать",
            "восемнадцать",
            "девятнадцать",
        ],
        start=10,
    )
}
_TENS = {
    word: value
    for value, word in zip(
        range(20, 100, 10),
        ["двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"],
        strict=True,
    )
}
_HUNDREDS = {
    word: value
    for value, word in zip(
        range(100, 1000, 100),
        ["сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"],
        strict=True,
    )
}
# (value, level): a spoken group is hundreds (3), then tens (2), then a unit or teen (1), each optional.
_NUMBER_WORDS = {
    **{word: (value, 1) for word, value in _UNITS.items()},
    **{word: (value, 0) for word, value in _TEENS.items()},
    **{word: (value, 2) for word, value in _TENS.items()},
    **{word: (value, 3) for word, value in _HUNDREDS.items()},
}
_PLUS_WORDS = {"плюс", "plus"}
# Letters that stand for digits in a digit run ("8 9l6 123 45 6o", "8 (912) З45-67-89"): one or two next to a
# digit, not part of a word ("320i", "5l" too, but those make no phone).
_DIGIT_LOOKALIKES = re.compile(r"(?<=\d)[oоliз]{1,2}(?![^\W\d_])|(?<![^\W\d_])[oоliз]{1,2}(?=\d)")
_LOOKALIKE_DIGITS = str.maketrans("oоliз", "00113")
_ATOM = re.compile(r"\d+|[^\W\d_]+")
_MAXIMUM_GAP = 6

# Labels that make a number an order/posting/track/barcode (never a phone) or an article (not a phone unless
# it is a bare 11-digit number starting with 7 or 8, DESIGN.md §14). A label counts as a whole word directly
# before the number ("заказ № 123…", "трек-номер: 800…", "артикул WB 123…", "заказы 123… и 124…"), never
# as part of a word ("картой", "мышка") or in an earlier clause ("Заказ получили? Если что — 345-67-89").
_HARD_LABELS = (
    r"заказ(?:а|у|ом|е|ы|ов|ам|ах)?|отправлени[еяюий]|отправлением|постинг(?:а|у|ом|и|ов)?|posting|order"
    r"|трек(?:а|у|ом|и|ов)?|track(?:ing)?|штрих-?код(?:а|у|ом|ы|ов)?|баркод(?:а|у|ом|ы|ов)?|barcode|шк|s?rid"
)
_ARTICLE_LABELS = (
    r"артикул(?:а|у|ом|ы|ов)?|арт\.?|nm ?id|номенклатур[аыеу]|sku|ску|код(?:а|ом)? товар(?:а|ов)?"
    r"|id(?: товар(?:а|ов)?)?"
)
_MARKETPLACE_NAMES = r"wb|вб|wildberries|вайлдберриз|ozon|озон|яндекс|yandex|маркет|market|ям"
_LABEL = re.compile(
    rf"(?<!\w)(?:(?P<hard>{_HARD_LABELS})|(?P<article>{_ARTICLE_LABELS}))"
    r"(?:[ -]?(?:номер|номера|код|no\.?))?"
    rf"(?:\s+(?:{_MARKETPLACE_NAMES}))*"
    r"[\s:№#—–-]*"
    # Earlier numbers of the same list.
    r"(?:\d[\d-]*(?:\s*,\s*|\s+и\s+))*$"
)
_LABEL_WINDOW = 80
# Digit-group lengths of a phone written with commas between its groups; other comma-joined digits are a list.
_COMMA_LAYOUTS = {(1, 3, 3, 2, 2), (3, 3, 2, 2), (1, 3, 3, 4), (3, 3, 4), (1, 3, 7), (3, 7)}
_OZON_POSTING = re.compile(r"\d{5,12}-\d{4}(?:-\d{1,3})?")


@dataclass
class _Group:
    digits: str
    start: int
    end: int
    # The separator text before this group (to recognise "123-45-67").
    gap: str = ""
    # Joined to the digits before it by a comma: a phone only in a phone's layout ("8, 912, 345, 67, 89").
    comma: bool = False


def _digits_of(text: str) -> str:
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(char)) for char in text)


@lru_cache(maxsize=20_000)
def _number_word(atom: str) -> tuple[int, int] | None:
    # "вoсемь" with a Latin "o" is read as the Russian word.
    return _NUMBER_WORDS.get(atom) or _NUMBER_WORDS.get(read_word(atom))


def _runs(view: str) -> list[tuple[list[_Group], bool]]:
    """Maximal runs of digit groups and number words joined only by separators; (groups, after a plus)."""
    runs: list[tuple[list[_Group], bool]] = []
    groups: list[_Group] = []
    plus = False
    previous_end = 0
    previous_was_word = False
    spoken: tuple[int, int, int, int] | None = None  # value, last level, start, end

    def flush_spoken() -> None:
        nonlocal spoken
        if spoken is not None:
            groups.append(_Group(str(spoken[0]), spoken[2], spoken[3]))
            spoken = None

    def close() -> None:
        nonlocal groups, plus
        flush_spoken()
        if groups:
            runs.append((groups, plus))
        groups = []
        plus = False

    for match in _ATOM.finditer(view):
        atom = match.group()
        is_digit = atom[0].isdecimal()
        number_word = None if is_digit else _number_word(atom)
        if not is_digit and number_word is None:
            close()
            plus = atom in _PLUS_WORDS
            previous_end = match.end()
            previous_was_word = plus
            continue
        gap = view[previous_end : match.start()]
        joined = bool(groups or spoken is not None) and len(gap) <= _MAXIMUM_GAP
        if joined:
            joined = all(is_separator(char) or char == "," for char in gap)
        if not joined:
            close()
            plus = previous_was_word and plus and all(is_separator(char) for char in gap)
            plus = plus or gap.rstrip().endswith("+")
        if is_digit:
            digits = _digits_of(atom)
            # "девятьсот 16", "сорок 5": a spoken group finished with digits.
            if spoken is not None and (
                (spoken[1] == 3 and len(digits) <= 2 and digits[0] != "0")
                or (spoken[1] == 2 and len(digits) == 1 and digits != "0")
            ):
                spoken = (spoken[0] + int(digits), 1, spoken[2], match.end())
                flush_spoken()
            else:
                flush_spoken()
                comma = joined and "," in gap and not previous_was_word
                groups.append(_Group(digits, match.start(), match.end(), gap, comma))
        else:
            value, level = number_word
            if spoken is not None and level < spoken[1] and not (level == 0 and spoken[1] != 3) and value:
                spoken = (spoken[0] + value, level, spoken[2], match.end())
            else:
                flush_spoken()
                spoken = (value, level if value else 0, match.start(), match.end())
        previous_end = match.end()
        previous_was_word = not is_digit
    close()
    return runs


@lru_cache(maxsize=20_000)
def _is_valid(number: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, "RU"))
    except phonenumbers.NumberParseException:
        return False


def _label(folded: str, start: int) -> str:
    match = _LABEL.search(folded, max(0, start - _LABEL_WINDOW), start)
    if match is None:
        return ""
    return "hard" if match.group("hard") else "article"


def _phone_kind(digits: str, *, plus: bool, formatted: bool) -> str:
    """ "strong" (a phone whatever the label), "phone" (a phone unless labelled), "" (not a phone)."""
    if plus:
        if len(digits) == 11 and digits[0] == "7":
            return "strong"
        return "strong" if 8 <= len(digits) <= 15 and _is_valid("+" + digits) else ""
    if len(digits) == 11 and digits[0] in "78":
        return "strong" if formatted else "bare"
    if len(digits) == 10 and digits[0] in "3489" and _is_valid("+7" + digits):
        return "strong" if formatted else "phone"
    if formatted and len(digits) in (12, 13) and _is_valid("+" + digits):
        return "phone"
    return ""


def phone_spans(prepared: Prepared) -> list[Span]:
    if not any(char.isdecimal() for char in prepared.folded) and not any(
        token.word in _NUMBER_WORDS for token in prepared.tokens
    ):
        return []
    view = _DIGIT_LOOKALIKES.sub(lambda match: match.group().translate(_LOOKALIKE_DIGITS), prepared.folded)
    spans = []
    for groups, plus in (part for run in _runs(view) for part in _comma_parts(*run)):
        digits = "".join(group.digits for group in groups)
        start, end = groups[0].start, groups[-1].end
        if plus:
            plus_at = prepared.folded.rfind("+", max(0, start - 3), start)
            start = plus_at if plus_at != -1 else start
        if len(digits) < 7:
            continue
        while end < len(view) and unicodedata.category(view[end]) in {"Mn", "Me", "Cf"}:
            end += 1
        if _OZON_POSTING.fullmatch(view[groups[0].start : end].replace(" ", "")):
            continue
        kind = _phone_kind(digits, plus=plus, formatted=len(groups) > 1)
        if kind:
            label = _label(prepared.folded, start)
            if kind == "strong" or not label or (kind == "bare" and label == "article"):
                spans.append(Span(CONTACT_PHONE, start, end))
            continue
        if [len(group.digits) for group in groups] == [3, 2, 2] and not _label(prepared.folded, start):
            spans.append(Span(CONTACT_PHONE, start, end))
            continue
        spans.extend(_phones_inside(groups))
    return spans


def _comma_parts(groups: list[_Group], plus: bool) -> list[tuple[list[_Group], bool]]:
    """A run joined by commas is one number in a phone's layout, else a list whose parts are read apart."""
    if (
        not any(group.comma for group in groups)
        or tuple(len(group.digits) for group in groups) in _COMMA_LAYOUTS
    ):
        return [(groups, plus)]
    parts = [([groups[0]], plus)]
    for group in groups[1:]:
        if group.comma:
            parts.append(([group], False))
        else:
            parts[-1][0].append(group)
    return parts


def _phones_inside(groups: list[_Group]) -> list[Span]:
    """Phones within a longer run ("8 916 123 45 67 8 903 …"), aligned to group boundaries."""
    spans = []
    index = 0
    while index < len(groups) - 1:
        digits = ""
        for stop in range(index, len(groups)):
            digits += groups[stop].digits
            if len(digits) > 11:
                break
            eleven = len(digits) == 11 and digits[0] in "78" and _is_valid("+7" + digits[1:])
            ten = len(digits) == 10 and digits[0] == "9" and _is_valid("+7" + digits)
            if (eleven or ten) and stop > index:
                spans.append(Span(CONTACT_PHONE, groups[index].start, groups[stop].end))
                index = stop
                break
        index += 1
    return spans
