"""Rules read from Russian words: cancel_order, personal_data_request, profanity, marketplace_disparagement.

Tokens are lemmatised once by `pymorphy3` (OpenCorpora dictionary), so one lexicon entry covers every form:
"отмените", "отменить", "отменяйте" are all `отменить`/`отменять`; the imperative mood comes from the same
parse ("отмените" asks, "отменили" reports).
"""

import re
from itertools import pairwise

from assist.compliance.text import Prepared, Token
from assist.compliance.types import (
    CANCEL_ORDER,
    MARKETPLACE_DISPARAGEMENT,
    PERSONAL_DATA_REQUEST,
    PROFANITY,
    Span,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WINDOW = 6
_ADVICE = _words(
    """
    нажмите можете можно лучше советуем советую рекомендуем рекомендую просим прошу нужно надо необходимо
    стоит попробуйте предлагаем предлагаю следует давайте могли сможете попрошу придется пора проще
    быстрее удобнее желательно
    """
)
# Saying what the buyer can do, not recommending it: with "если передумаете" it is the platform's own flow.
_POSSIBILITY = _words(
    """
    можно можете сможете
    """
)
_CANCEL_VERBS = _words(
    """
    отменить отменять отказаться отказываться аннулировать
    """
)
# "Не забирайте заказ": refusing at the pick-up point is cancelling.
_REFUSE_VERBS = _words(
    """
    забирать забрать выкупать выкупить получать получить брать взять оплачивать оплатить
    """
)
_CANCEL_NOUNS = _words(
    """
    отмена отказ аннуляция
    """
)
_ACTION_VERBS = _words(
    """
    оформить оформлять сделать делать нажать нажимать выбрать выбирать подать подавать оформите
    запросить поставить
    """
)

_REQUEST_VERBS = _words(
    """
    написать писать прислать присылать отправить отправлять сообщить сообщать указать указывать
    оставить оставлять скинуть скидывать продиктовать диктовать дать предоставить предоставлять
    назвать подсказать выслать высылать уточнить уточнять продублировать сфотографировать сфоткать
    переслать ввести черкнуть кинуть
    """
)
_REQUEST_WORDS = _words(
    """
    нужен нужна нужны необходим необходима необходимы требуется понадобится
    """
)
_DATA_NOUNS = _words(
    """
    телефон почта email e mail емейл имейл мейл емэйл электронка адрес карта паспорт паспортный снилс инн cvv
    cvc реквизиты мобильный сотовый
    """
)
# "Адрес пункта выдачи", "Почта России": the marketplace's or a carrier's, not the buyer's.
_MARKETPLACE_FORMS = {"приложение", "заказ", "кабинет", "профиль", "личный", "карточка", "настройка"}
_QUESTION_OWNERS = {"ваш", "ваша", "вашу", "ваши", "вас", "твой", "твоя", "тебя"}
_DIRECTIONS = {"на", "по", "через"}
_CANCEL_LEMMAS = _CANCEL_VERBS | _REFUSE_VERBS | _CANCEL_NOUNS
_NOT_PERSONAL_AFTER = _words(
    """
    пункт пвз постамат склад магазин сайт россия отделение выдача товар заказ лояльность размер
    размерный цвет подарочный горячий линия
    """
)
_NOT_PERSONAL_BEFORE = _words(
    """
    размерный подарочный карточка лояльность бонусный почтовый
    """
)
_NUMBERED_THINGS = _words(
    """
    отправление трек посылка заявка возврат чек сертификат договор артикул постинг обращение
    """
)

_PROFANE_ROOTS = re.compile(
    r"^(?:за|вы|на|от|отъ|у|до|по|пере|про|раз|рас|с|под|об|въ|съ|при|о|долбо)?"
    r"(?:ху[йеяюи]|пизд|пизж|бля|еба[лнтшвк]|ебу[тч]|еби|ебл|ебн|ебош|ебыв|ебуч|охрен|идиот|дебил|кретин|придур|муда[кч]|мудил|пидор|пидар|гандон|шлюх|"
    r"сучар|сучк|говн|дерьм|жоп|херн|херов|хер$|хрен[оа]в|залуп|сран|срать|засран)"
)
_PROFANE_LEMMAS = _words(
    """
    сука сучка блядь бля блин хер хрен жопа говно дерьмо идиот дебил дура дурак тупой тупица кретин
    придурок урод быдло лох чмо мразь тварь скотина сволочь козел дебильный идиотский тупорылый
    заткнуться дурачок fuck fucking shit bitch suka blyat blya pizdec nahui nahuy hui huy idiot
    """
)
_NOT_PROFANE = {"блин", "хрен"}  # mild exclamations agents do write
# Censored swearing: "х*й", "б**дь", "с#ка".
_CENSORED = re.compile(
    r"(?<![\w*])[хпбеёсмзун][а-я]{0,3}[*#$%@]{1,4}[а-я]{1,6}(?![\w*])|(?<![\w*])[хпбс][*#$%]{1,4}(?!\w)"
)

_MARKETPLACES = _words(
    """
    озон ozon wildberries вайлдберриз вайлдбериз валберис вб wb яндекс маркет ям маркетплейс
    площадка вайлдберис вайлдбериес мегамаркет алиэкспресс авито yandex market
    """
)
_SELLERS = _words(
    """
    продавец конкурент магазин селлер поставщик
    """
)
_OTHER = _words(
    """
    другой остальной соседний некоторый многие прочий чужой
    """
)
_NEGATIVE = _words(
    """
    плохой ужасный отвратительный кошмарный кошмар ужас криворукий криво вор воровать своровать
    обманывать обмануть обман мошенник мошенничество жулик бардак помойка халтура безобразие
    косячить накосячить отстой развод разводить кидать кидалово бестолковый неадекватный позорный
    позор глючный глючить тормозить наплевать некомпетентный дурдом подделка паленый фуфло барахло
    хлам некачественный убогий тупить вредить наживаться грабить грабеж беспредел криворукость
    кривой хуже худший отвратительно ужасно плохо безобразно врать наврать ненадежный бесполезный
    издеваться
    """
)
_BLAME = _words(
    """
    перепутать потерять испортить сломать задержать задерживать терять путать портить ломать
    подвести подводить затянуть тянуть напутать накосячить
    """
)
_AGAIN = {"опять", "вечно", "постоянно", "снова", "как всегда", "всегда", "вновь"}


def _advised_not(before: tuple[Token, ...]) -> bool:
    words = [token.word for token in before]
    return "не" in words and any(word in _ADVICE for word in words)


def _negated(sentence: tuple[Token, ...], index: int) -> bool:
    return any(sentence[position].word in {"не", "ни"} for position in range(max(0, index - 2), index))


def _own_change_of_mind(before: tuple[Token, ...], advice: list[str]) -> bool:
    """ "Если передумаете, заказ можно отменить": only a possibility, offered for the buyer's own decision."""
    return all(word in _POSSIBILITY for word in advice) and any(word.lemma == "передумать" for word in before)


def cancel_spans(prepared: Prepared) -> list[Span]:
    spans = []
    for sentence in prepared.sentences:
        for index, token in enumerate(sentence):
            if token.lemma not in _CANCEL_LEMMAS:
                continue
            before = sentence[max(0, index - _WINDOW) : index]
            advice = [word.word for word in before[-3:] if word.word in _ADVICE]
            advised = token.imperative or (bool(advice) and not _own_change_of_mind(before, advice))
            if token.lemma in _CANCEL_VERBS and advised and not _negated(sentence, index):
                spans.append(Span(CANCEL_ORDER, token.start, token.end))
            elif token.lemma in _REFUSE_VERBS and token.imperative and _negated(sentence, index):
                negation = next(word for word in reversed(before[-2:]) if word.word in {"не", "ни"})
                spans.append(Span(CANCEL_ORDER, negation.start, token.end))
            elif token.lemma in _REFUSE_VERBS and _advised_not(before[-3:]):
                # "Не надо забирать заказ", "лучше не выкупать".
                negation = next(word for word in before[-3:] if word.word in {"не", "ни"})
                spans.append(Span(CANCEL_ORDER, negation.start, token.end))
            elif token.lemma in _CANCEL_NOUNS:
                verb = next((word for word in reversed(before[-3:]) if word.lemma in _ACTION_VERBS), None)
                advised = verb is not None and any(word.word in _ADVICE for word in before[-5:])
                if verb is not None and (verb.imperative or advised):
                    spans.append(Span(CANCEL_ORDER, verb.start, token.end))
    return spans


def _is_data_noun(sentence: tuple[Token, ...], index: int) -> bool:
    token = sentence[index]
    following = sentence[index + 1].lemma if index + 1 < len(sentence) else ""
    previous = sentence[index - 1].lemma if index else ""
    if token.lemma == "дата" and following == "рождение":
        return True
    if token.lemma == "номер":
        # "ваш номер" alone is the buyer's phone; "ваш номер заказа" is not personal data.
        own = previous in {"свой", "ваш"} and following not in _NOT_PERSONAL_AFTER | _NUMBERED_THINGS
        return own or following in {"телефон", "карта", "паспорт", "снилс", "мобильный", "сотовый"}
    if token.lemma not in _DATA_NOUNS and token.word not in _DATA_NOUNS:
        return False
    # "напишите на почту", "позвоните по телефону": where to write, not what to give.
    if index and sentence[index - 1].word in _DIRECTIONS:
        return False
    if following in _NOT_PERSONAL_AFTER or previous in _NOT_PERSONAL_BEFORE:
        return False
    return not (token.word == "e" and following != "mail")


def personal_data_spans(prepared: Prepared, *, taken: list[Span]) -> list[Span]:
    """Requests for the buyer's data; a noun inside a contact already found ("ivan@mail.ru") is not one."""
    spans = []
    for sentence in prepared.sentences:
        verbs = [
            index
            for index, token in enumerate(sentence)
            if (token.lemma in _REQUEST_VERBS and (token.imperative or _advised(sentence, index)))
            or token.word in _REQUEST_WORDS
            or (token.word in _QUESTION_OWNERS and _is_question(prepared.folded, sentence))
        ]
        if not verbs:
            continue
        for index, token in enumerate(sentence):
            if not _is_data_noun(sentence, index) or any(
                span.start <= token.start < span.end for span in taken
            ):
                continue
            near = [verb for verb in verbs if abs(verb - index) <= _WINDOW and verb != index]
            if (
                near
                and not any(_negated(sentence, verb) for verb in near)
                and not _into_marketplace(sentence, index)
            ):
                # The verb before the noun asks for it ("напишите ваш адрес"); one after may be ours.
                verb = min(near, key=lambda position: (position > index, abs(position - index)))
                first, last = min(verb, index), max(verb, index)
                if sentence[index].lemma == "дата" and index + 1 < len(sentence):
                    last = max(last, index + 1)
                spans.append(Span(PERSONAL_DATA_REQUEST, sentence[first].start, sentence[last].end))
    return _merge(spans)


def _is_question(folded: str, sentence: tuple[Token, ...]) -> bool:
    """ "Какой у вас номер телефона?": a question about the buyer's data asks for it."""
    return folded[sentence[-1].end :].lstrip(' "»)').startswith("?")


def _into_marketplace(sentence: tuple[Token, ...], index: int) -> bool:
    """ "Укажите другой адрес в заказе": typed into the marketplace's own form, not given to the seller."""
    following = sentence[index + 1 : index + 5]
    return any(
        token.word in {"в", "во", "на"} and after.lemma in _MARKETPLACE_FORMS
        for token, after in pairwise(following)
    )


def _advised(sentence: tuple[Token, ...], index: int) -> bool:
    before = sentence[max(0, index - 3) : index]
    return any(token.word in _ADVICE or token.word in _REQUEST_WORDS for token in before)


def profanity_spans(prepared: Prepared) -> list[Span]:
    spans = []
    for token in prepared.tokens:
        if token.lemma in _NOT_PROFANE:
            continue
        listed = token.lemma in _PROFANE_LEMMAS or token.word in _PROFANE_LEMMAS
        if listed or _PROFANE_ROOTS.match(token.word):
            spans.append(Span(PROFANITY, token.start, token.end))
    if not any(mark in prepared.folded for mark in "*#$%@"):
        return spans
    for match in _CENSORED.finditer(prepared.cyrillic):
        if not any(span.start <= match.start() < span.end for span in spans):
            spans.append(Span(PROFANITY, match.start(), match.end()))
    return spans


def disparagement_spans(prepared: Prepared) -> list[Span]:
    spans = []
    for sentence in prepared.sentences:
        lemmas = [token.lemma for token in sentence]
        targets = [
            index
            for index, lemma in enumerate(lemmas)
            if lemma in _MARKETPLACES
            or (lemma in _SELLERS and any(word in _OTHER for word in lemmas[max(0, index - 2) : index]))
            or lemma == "конкурент"
        ]
        if not targets:
            continue
        again = any(lemma in _AGAIN for lemma in lemmas) or "как всегда" in " ".join(lemmas)
        negatives = [
            index
            for index, lemma in enumerate(lemmas)
            if (lemma in _NEGATIVE and not _negated(sentence, index)) or (again and lemma in _BLAME)
        ]
        if negatives:
            first = min(targets[0], negatives[0])
            last = max(targets[-1], negatives[-1])
            spans.append(Span(MARKETPLACE_DISPARAGEMENT, sentence[first].start, sentence[last].end))
    return spans


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda item: (item.start, item.end)):
        if merged and span.start < merged[-1].end:
            merged[-1] = Span(span.rule, merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged
