"""contact_email, contact_link and contact_messenger: addresses, links and messengers, also disguised.

Whether a candidate host is a domain at all is decided by `tldextract` against the Public Suffix List
snapshot bundled with the package (never fetched at run time: `suffix_list_urls=()`, no cache directory),
so "сайт.рф" and "shop.store" are links while "т.е.", "42.5" and "фото.jpg" are not.
"""

import re
from functools import lru_cache
from typing import NamedTuple

import tldextract

from assist.compliance.text import Prepared, Token
from assist.compliance.types import CONTACT_EMAIL, CONTACT_LINK, CONTACT_MESSENGER, Span


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

_SPELLED_DOT = r"\s*\[\s*(?:\.|dot|точка)\s*\]\s*|\s*\(\s*(?:\.|dot|точка)\s*\)\s*|\s+(?:dot|точка|тчк)\s+"
_DOT = rf"(?:\.|{_SPELLED_DOT}|\s+\.\s*|\s*\.\s+)"
_LABEL = r"[a-zа-я0-9](?:[a-zа-я0-9-]{0,61}[a-zа-я0-9])?"
# Punycode top-level domains ("xn--p1ai" is .рф) as well as letters.
_TLD = r"xn--[a-z0-9-]{1,59}|[a-zа-я]{2,24}"
_HOST = re.compile(
    rf"(?<![\w@.-])(?P<scheme>(?:https?|hxxps?)\s*:\s*/\s*/\s*)?"
    rf"(?P<host>(?:{_LABEL}{_DOT}){{1,10}}(?P<tld>{_TLD}))(?![\w-])(?P<path>[/?#][^\s]*)?"
)
# The characters of the marketplaces' product paths: transliterated slugs, ids, "detail.aspx".
_ID_PATH = re.compile(r"[a-z0-9/._~%+-]*")
_URL_WITH_SCHEME = re.compile(r"(?:https?|hxxps?|ftp)\s*:\s*/\s*/\s*\S+")
_DOG = r"собака|собаки|собачка|собачкой|собаку"
# Written without overlapping whitespace runs so that a long text of "x собака x собака …" cannot backtrack.
# An "@" or a bracketed "at"/"собака" joins any local part ("иван@почта.рф", "ivan(собака)gmail"); a spelled
# word between spaces only a Latin one ("ivan собака mail.ru", not "ваша собака …").
_AT_SIGN = rf"[ \t]?(?:@|\(\s*(?:at|{_DOG})\s*\)|\[\s*(?:at|{_DOG})\s*\]|\{{\s*(?:at|{_DOG})\s*\}})[ \t]?"
_AT_WORD = rf"[ \t]+(?:at|{_DOG})[ \t]+"
_MAIL_PROVIDERS = r"gmail|mail|yandex|ya|bk|inbox|list|rambler|outlook|icloud|hotmail|proton|protonmail"
_EMAIL = re.compile(
    rf"(?<![\w.+-])(?:[a-zа-я0-9][a-zа-я0-9._%+-]{{0,63}}(?:{_AT_SIGN})|[a-z0-9][a-z0-9._%+-]{{0,63}}{_AT_WORD})"
    rf"(?:(?:{_LABEL}{_DOT}){{1,6}}[a-zа-я]{{2,10}}(?![\w-])|(?:{_MAIL_PROVIDERS})\b)"
)
# E-mails told in words: a Latin login with the mail service named ("ivan на gmail", "gmail: ivan", "почта:
# ivan_shop"). After the service, a plain word is a login only behind a colon or dash; with a space alone it
# must look like one ("gmail ivan.petrov", not "iCloud Drive"). "Яндекс" is a mail service only as "яндекс
# почта" (else it is the market), and "на почту …" with an ordinary word after it is the buyer's own mailbox.
_NOT_LOGINS = r"(?:ozon|wildberries|yandex|market|ru|com|net|org)(?![a-z0-9_+-])"
# Nor a Russian Post tracking number ("Почта: RA644000001RU") or a site ("почта - lk.ozon.ru": the links
# are judged as links).
_NOT_LOGIN_SHAPES = r"(?:[a-z]{2}\d{9}[a-z]{2}|[a-z0-9.-]*\.(?:ru|com|net|org|su|info|biz))(?![a-z0-9._+-])"
_LOGIN = rf"(?!{_NOT_LOGINS})(?!{_NOT_LOGIN_SHAPES})[a-z][a-z0-9._+-]{{2,63}}(?<![._+-])"
_LOGIN_SHAPED = r"(?=[a-z0-9+-]*(?:[._][a-z0-9]|\d))"
_MAIL_SERVICE = (
    r"(?:g-?mail|джимейл|гмейл|гмаил|(?:google|гугл)[ .-]?(?:mail|почт[а-я]*)"
    r"|yandex(?![ \t.-]*(?:market|маркет))(?:[ .-]?(?:mail|почт[а-я]*))?|яндекс[а-я]*[ .-]?почт[а-я]*"
    r"|mail|мейл|маил|майл|rambler|рамблер[а-я]*|outlook|hotmail|yahoo|proton(?:mail)?)"
    r"(?:[ \t]*(?:\.|точка)?[ \t]*(?:ru|com|ру|ком)(?![\w-]))?"
)
_MAIL_WORD = r"(?:почт[аеу]|e-?mail|имейл|емейл|мейл)"
_LOGIN_ON_SERVICE = re.compile(rf"(?<![\w@.+-]){_LOGIN}[ \t]+на[ \t]+{_MAIL_SERVICE}(?![\w-])")
_SERVICE_THEN_LOGIN = re.compile(
    rf"(?<![\w-])(?:{_MAIL_SERVICE}|{_MAIL_WORD})(?:[ \t]*[:—–][ \t]*|[ \t]+-[ \t]+|[ \t]+{_LOGIN_SHAPED})"
    rf"{_LOGIN}(?![\w@-])"
)
# Words (or lemmas) of the services and words above; the patterns are tried only around them (scanning a whole
# text for the services costs about 80 µs per 1,000 characters, tried around them about a third of that).
_MAIL_ANCHORS = _words(
    """
    gmail mail почта email емейл имейл мейл маил майл джимейл гмейл гмаил yandex rambler рамблер outlook
    hotmail yahoo proton protonmail
    """
)
# Cheap exit: every anchor contains one of these.
_MAIL_HINTS = (
    "mail", "почт", "yandex", "мейл", "маил", "майл", "rambler", "рамблер", "outlook", "yahoo", "proton",
)  # fmt: skip
# How far before its service a login may start ("ivan.petrov на яндекс почте"), and after it a domain end.
_LOGIN_REACH = 64 + 20
_DOMAIN_REACH = 12
_HANDLE = re.compile(r"(?<![\w@.])@[a-z0-9_](?:[a-z0-9_.]{2,31})")

# Cyrillic spellings of top-level domains ("сайт точка ру").
_TLD_SPELLINGS = dict(
    pair.split(":") for pair in ["ру:ru", "ком:com", "нет:net", "орг:org", "ио:io", "су:su", "инфо:info"]
)
# Russian top-level domains people actually use; other Cyrillic "TLDs" (".москва", ".дети") are too often
# ordinary words after an abbreviation ("г.Москва").
_CYRILLIC_TLDS = _words(
    """
    рф рус онлайн сайт орг ком
    """
)
# After a plain dot with spaces around it only well-known TLDs count ("shop . ru"), not "ответ . Me".
_SPACED_TLDS = _words(
    """
    ru com net org рф su me io ly cc shop store online site
    """
)
# File names, not links.
_FILE_SUFFIXES = _words(
    """
    zip mov
    """
)
_ABBREVIATIONS = _words(
    """
    ул пр г д пл т им тел см мм кг шт руб
    """
)

MESSENGER_DOMAINS = (
    "t.me", "telegram.me", "telegram.org", "telegram.dog", "wa.me", "whatsapp.com", "whatsapp.net", "vk.com",
    "vk.me", "vk.ru", "vkontakte.ru", "instagram.com", "instagr.am", "viber.com", "viber.click", "ok.ru",
    "max.ru", "facebook.com", "fb.com", "fb.me", "discord.gg", "discord.com", "skype.com", "tiktok.com",
    "icq.com", "icq.im", "signal.me", "signal.group",
)  # fmt: skip

_MESSENGER_WORDS = _words(
    """
    тг tg телеграм телеграмм телеграмчик telegram tlgrm телеграме вотсап ватсап вацап вотсапп
    ватсапп вотс вотсапчик whatsapp whatsap watsapp watsap whats вайбер вибер viber вк vk вконтакте
    vkontakte контакт инста инсту инсты инстой инстаграм инстаграмм инсте instagram insta inst
    фейсбук facebook дискорд
    discord скайп skype signal icq аська тикток tiktok одноклассники imessage wechat вичат
    """
)
_MESSENGER_PREFIXES = tuple(
    [
        "телеграм",
        "вотсап",
        "ватсап",
        "вацап",
        "whatsap",
        "instagram",
        "инстаграм",
        "вайбер",
        "viber",
        "telegram",
        "вконтакт",
        "фейсбук",
    ]
)
# Messengers only in context: "в контакте" (not "в контакте с кожей"), "в телеге" or "телега: brandhelp"
# (not a garden cart).
_CONTEXT_ONLY = _words(
    """
    контакт телега
    """
)
_INTO = _words(
    """
    в во через
    """
)
_POSSESSIVES = _words(
    """
    наш наша нашу нашей нашем мой моя мою моей моем
    """
)
_MAX_WORDS = _words(
    """
    max макс мах maх мax
    """
)
_MAX_BEFORE = _words(
    """
    в во через мессенджер мессенджере мессенджера мессенджеру нам
    """
)


_CANDIDATES = _MESSENGER_WORDS | _CONTEXT_ONLY | _MAX_WORDS | {"макс"}
_CYRILLIC_TO_LATIN = str.maketrans("асеорхукмнтіјѕ", "aceopxykmhtijs")
_LOOK_ALIKE_HOST = re.compile(r"[асеорхукмнтіјѕ]+(?:\.[асеорхукмнтіјѕ]+)+")


def _host_reading(host: str) -> tuple[str, bool]:
    """(reading, all look-alikes?): spelled dots as dots, TLD spellings as TLDs, Cyrillic look-alikes as Latin
    in a host with a Latin letter or in one made of look-alikes only ("т.ме"; the second value says so)."""
    host = re.sub(_SPELLED_DOT, ".", host)
    host = re.sub(r"\s*\.\s*", ".", host)
    labels = host.split(".")
    if labels[-1] in _TLD_SPELLINGS:
        labels[-1] = _TLD_SPELLINGS[labels[-1]]
    reading = ".".join(labels)
    look_alikes = _LOOK_ALIKE_HOST.fullmatch(reading) is not None
    if look_alikes or re.search(r"[a-z]", reading):
        reading = reading.translate(_CYRILLIC_TO_LATIN)
    return reading, look_alikes


@lru_cache(maxsize=20_000)
def _registered(host: str) -> tuple[str, str]:
    """(fully qualified host, suffix) when the host ends in a real public suffix, else ("", "")."""
    result = _extract(host)
    if not result.suffix or not result.domain:
        return "", ""
    return result.fqdn, result.suffix


def _is_within(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _overlaps(start: int, end: int, spans: list[Span]) -> bool:
    return any(start < span.end and span.start < end for span in spans)


def email_spans(prepared: Prepared) -> list[Span]:
    folded = prepared.folded
    spans: list[Span] = []
    # Cheap exit: every form of the "@" has one of these.
    if "@" in folded or "at" in folded or "собак" in folded or "собач" in folded:
        spans = [Span(CONTACT_EMAIL, match.start(), match.end()) for match in _EMAIL.finditer(folded)]
    if any(hint in folded for hint in _MAIL_HINTS):
        spans += _emails_in_words(prepared, taken=spans)
    return spans


def _emails_in_words(prepared: Prepared, *, taken: list[Span]) -> list[Span]:
    folded = prepared.folded
    tokens = prepared.tokens
    found: set[tuple[int, int]] = set()
    for index, token in enumerate(tokens):
        if token.lemma not in _MAIL_ANCHORS and token.word not in _MAIL_ANCHORS:
            continue
        window = (max(0, token.start - _LOGIN_REACH), token.end + _DOMAIN_REACH)
        matches = [_LOGIN_ON_SERVICE.search(folded, *window)]
        # The service starts at this word or one before it ("яндекс почта: ivan").
        matches += [
            _SERVICE_THEN_LOGIN.match(folded, tokens[at].start) for at in range(max(0, index - 1), index + 1)
        ]
        found.update(match.span() for match in matches if match is not None)
    # One address told both ways ("почта: ivan на яндекс почте") is one span.
    spans: list[Span] = []
    for start, end in sorted(found):
        if spans and start < spans[-1].end:
            spans[-1] = Span(CONTACT_EMAIL, spans[-1].start, max(end, spans[-1].end))
        elif not _overlaps(start, end, taken):
            spans.append(Span(CONTACT_EMAIL, start, end))
    return spans


class Links(NamedTuple):
    # Links to report: other sites, messengers.
    spans: list[Span]
    # Where the marketplace's own links keep their ids (see `_id_path`); numbers there are no phones.
    id_paths: list[tuple[int, int]]


def link_spans(prepared: Prepared, *, allowed_domains: tuple[str, ...], taken: list[Span]) -> Links:
    spans: list[Span] = []
    seen: list[Span] = []
    id_paths: list[tuple[int, int]] = []
    for match in _HOST.finditer(prepared.folded):
        if _overlaps(match.start(), match.end(), taken):
            continue
        raw_host = match.group("host")
        raw_tld = match.group("tld")
        # Cheap exit first: "слово. Слово" (a sentence end) is the common non-link here.
        known_tld = raw_tld.translate(_CYRILLIC_TO_LATIN) in _SPACED_TLDS or raw_tld in _TLD_SPELLINGS
        if not known_tld and re.search(r"\s\.|\.\s", raw_host) and not re.search(_SPELLED_DOT, raw_host):
            continue
        spelled_dot = re.search(_SPELLED_DOT, raw_host) is not None
        spaced_dot = re.search(r"\s\.|\.\s", raw_host) is not None
        host, look_alikes = _host_reading(raw_host)
        tld = host.rsplit(".", 1)[-1]
        first_label = host.split(".", 1)[0]
        has_scheme = match.group("scheme") is not None
        if re.fullmatch(r"[а-я]+", tld) and tld not in _CYRILLIC_TLDS:
            continue
        if not has_scheme and not spelled_dot:
            if tld in _FILE_SUFFIXES or (first_label in _ABBREVIATIONS and host.count(".") == 1):
                continue
            if spaced_dot and tld not in _SPACED_TLDS:
                continue
            if _runs_on(prepared, match):
                continue
        fqdn, _suffix = _registered(host)
        if not fqdn:
            continue
        if look_alikes and not (has_scheme or match.group("path") or _is_within(fqdn, MESSENGER_DOMAINS)):
            # Russian words that happen to be look-alikes ("так.То есть") are a link only in a link's shape.
            continue
        end = match.end()
        seen.append(Span(CONTACT_LINK, match.start(), end))
        if _is_within(fqdn, MESSENGER_DOMAINS):
            spans.append(Span(CONTACT_MESSENGER, match.start(), end))
        elif not _is_within(fqdn, allowed_domains):
            spans.append(Span(CONTACT_LINK, match.start(), end))
        elif match.group("path"):
            id_paths.extend(_id_path(match))
    for match in _URL_WITH_SCHEME.finditer(prepared.folded):
        # Any other URL with a scheme ("https://192.168.0.1/x") is a link too, unless already judged above.
        if not _overlaps(match.start(), match.end(), taken + seen):
            spans.append(Span(CONTACT_LINK, match.start(), match.end()))
    return Links(spans, id_paths)


def _id_path(match: re.Match[str]) -> list[tuple[int, int]]:
    """The part of a marketplace link's path below its first segment, up to any query, fragment or text.

    That is where the marketplaces put product, SKU and order ids ("/product/chekhol-1487236590/",
    "/catalog/12345678/detail.aspx", "/product--name/123"). A query or fragment takes any text ("?phone=…"),
    no page sits directly under the domain ("ozon.ru/89161234567"), and words run on after the path
    ("/product/1,звоните-8916…") are no path: numbers there are read as anywhere else.
    """
    path = match.group("path")
    below_first_segment = path.find("/", 1)
    if not path.startswith("/") or below_first_segment == -1:
        return []
    stop = _ID_PATH.match(path, below_first_segment).end()
    offset = match.start("path")
    return [(offset + below_first_segment, offset + stop)]


def _runs_on(prepared: Prepared, match: re.Match[str]) -> bool:
    """ "Заказ.Apple", "в наличии.Com": a sentence run into the next, a Cyrillic word before a Latin word.

    Read on the host as typed (its look-alikes not yet converted); "мойбренд.com", a lower-case common
    top-level domain, stays a link.
    """
    first_label = re.match(_LABEL, match.group("host"))
    raw_tld = match.group("tld")
    if (
        first_label is None
        or not re.fullmatch(r"[а-я]+", first_label.group())
        or not re.fullmatch(r"[a-z]+", raw_tld)
    ):
        return False
    typed_tld = prepared.view[match.start("tld") : match.end("tld")]
    return not (typed_tld.islower() and raw_tld in _SPACED_TLDS)


def handle_spans(prepared: Prepared, *, taken: list[Span]) -> list[Span]:
    if "@" not in prepared.folded:
        return []
    return [
        Span(CONTACT_MESSENGER, match.start(), match.end())
        for match in _HANDLE.finditer(prepared.latin)
        if not _overlaps(match.start(), match.end(), taken)
    ]


def _is_messenger_word(token: Token) -> bool:
    word = token.word
    return (
        word in _MESSENGER_WORDS or token.lemma in _MESSENGER_WORDS or word.startswith(_MESSENGER_PREFIXES)
    ) and token.lemma not in _CONTEXT_ONLY


def _named_as_a_place_to_write(prepared: Prepared, index: int) -> bool:
    """ "в телегу", "на нашу телегу", "телега: brandhelp"."""
    tokens = prepared.tokens
    previous = tokens[index - 1].word if index else ""
    if previous in _POSSESSIVES:
        into = index >= 2 and tokens[index - 2].word in _INTO | {"на"}
    else:
        into = previous in _INTO
    return into or prepared.folded[tokens[index].end :].lstrip()[:1] in {":", "@"}


def messenger_word_spans(prepared: Prepared, *, taken: list[Span]) -> list[Span]:
    spans = []
    tokens = prepared.tokens
    for index, token in enumerate(tokens):
        if (
            token.lemma not in _CANDIDATES
            and token.word not in _CANDIDATES
            and not token.word.startswith(_MESSENGER_PREFIXES)
        ):
            continue
        previous = tokens[index - 1].word if index else ""
        following = tokens[index + 1].lemma if index + 1 < len(tokens) else ""
        if _is_messenger_word(token):
            hit = True
        elif token.lemma == "контакт":
            hit = (
                previous in {"в", "вконтакте"} and token.word in {"контакте", "контакт"} and following != "с"
            )
        elif token.lemma == "телега":
            hit = _named_as_a_place_to_write(prepared, index)
        elif token.word in _MAX_WORDS or token.lemma == "макс":
            hit = (previous in _MAX_BEFORE or following == "мессенджер") and previous not in {"pro", "про"}
        else:
            hit = False
        if hit and not _overlaps(token.start, token.end, taken):
            spans.append(Span(CONTACT_MESSENGER, token.start, token.end))
    return spans
