"""Text preparation shared by the detectors: a readable view, length-preserving folding, tokens, lemmas.

The detectors read a view of the text without format characters (soft hyphens, zero-width spaces and
joiners hide nothing) and with compatibility characters read as the one character they stand for
(full-width, mathematical, circled and subscript forms). Every folded form of the view has exactly one
character per character of the view; `Prepared.original` maps a view span back to code-point offsets into
the text as given.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import pymorphy3

# Latin letters that look like Cyrillic ones, and back: "cкидка" (Latin c) or "тeлeгрaм" must read as Russian,
# "wа.me" (Cyrillic а) as Latin.
_LATIN_TO_CYRILLIC = str.maketrans("acekmnopxyhtbr", "асекмпорхунтвг")
_CYRILLIC_TO_LATIN = str.maketrans("асеорхукмнтіјѕ", "aceopxykmhtijs")

_WORD = re.compile(r"[^\W_]+")
# Read as they are: ASCII, Cyrillic and the punctuation Russian replies use; any other character is looked at.
_UNUSUAL = re.compile(r"[^\x00-\x7f\u0400-\u04ff\xa0\xab\xbb\u2010-\u201f\u2026\u2116\u20bd]")
# Small capitals are no compatibility characters, but read as Latin letters all the same ("ᴛᴇʟᴇɢʀᴀᴍ"); NFKC
# keeps the ideographic full stops, which are dots all the same ("shop。ru").
_READ_AS = str.maketrans("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ\u3002\uff61", "abcdefghijklmnoprstuvwyz..")
_CYRILLIC = re.compile(r"[а-яё]")
_LATIN = re.compile(r"[a-z]")


def fold_case(text: str) -> str:
    """Lower case with ё→е, one character per character (the rare letters whose lower case grows stay)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(char.lower() if len(char.lower()) == 1 else char for char in text)
    return lowered.replace("ё", "е")


@dataclass(frozen=True)
class Token:
    # The word as read (homoglyphs folded to the token's dominant script), lower case.
    word: str
    lemma: str
    start: int
    end: int
    imperative: bool


@lru_cache(maxsize=4096)
def _read_char(char: str) -> str:
    """The character a detector reads: none for a format character, else its one-character NFKC form."""
    if unicodedata.category(char) == "Cf":
        return ""
    read = char.translate(_READ_AS)
    if read != char:
        return read
    normal = unicodedata.normalize("NFKC", char)
    return normal if len(normal) == 1 else char


def readable_view(text: str) -> tuple[str, list[int] | None]:
    """(view, offset in `text` of each view character); None when every character keeps its offset."""
    readings = {char: _read_char(char) for char in set(_UNUSUAL.findall(text))}
    changed = {char: read for char, read in readings.items() if read != char}
    if not changed:
        return text, None
    view = text
    for char, read in changed.items():
        # str.replace per distinct character: str.translate walks a non-ASCII text ten times slower.
        view = view.replace(char, read)
    if len(view) == len(text):
        return view, None
    dropped = "".join(char for char, read in changed.items() if not read)
    origins: list[int] = []
    position = 0
    for match in re.finditer(f"[{re.escape(dropped)}]", text):
        origins.extend(range(position, match.start()))
        position = match.end()
    origins.extend(range(position, len(text)))
    return view, origins


@dataclass
class Prepared:
    # The text as given.
    text: str
    # What the detectors read (see the module's docstring), before folding.
    view: str
    # The readable view, folded; detectors' offsets are offsets into it.
    folded: str
    tokens: tuple[Token, ...]
    # The tokens again, grouped by sentence (split at . ! ? ; and line breaks).
    sentences: tuple[tuple[Token, ...], ...]
    # Offset in `text` of each character of the view; None when the view is the text itself.
    origins: list[int] | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """A view span as offsets into the text as given (format characters inside it included)."""
        if self.origins is None or start >= end:
            return start, end
        return self.origins[start], self.origins[end - 1] + 1

    @cached_property
    def cyrillic(self) -> str:
        """Latin homoglyphs read as Cyrillic (Russian words written with Latin look-alikes)."""
        return self.folded.translate(_LATIN_TO_CYRILLIC)

    @cached_property
    def latin(self) -> str:
        """Cyrillic homoglyphs read as Latin (domains, handles and Latin brand names)."""
        return self.folded.translate(_CYRILLIC_TO_LATIN)


_SENTENCE_END = re.compile(r"[.!?;\n]")


def _sentences(folded: str, tokens: list[Token]) -> tuple[tuple[Token, ...], ...]:
    ends = [match.start() for match in _SENTENCE_END.finditer(folded)]
    sentences: list[list[Token]] = [[]]
    position = 0
    for token in tokens:
        crossed = False
        while position < len(ends) and ends[position] < token.start:
            position += 1
            crossed = True
        if crossed and sentences[-1]:
            sentences.append([])
        sentences[-1].append(token)
    return tuple(tuple(sentence) for sentence in sentences if sentence)


@lru_cache(maxsize=1)
def _morphology() -> pymorphy3.MorphAnalyzer:
    # Loaded on first use (~0.1 s, ~15 MB), not when Django imports the app; its INFO lines are noise.
    logging.getLogger("pymorphy3").setLevel(logging.WARNING)
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=100_000)
def analyse(raw: str) -> tuple[str, str, bool]:
    """(word as read, lemma, imperative?) of a lower-case word; Latin and digit words are their own lemma."""
    word = read_word(raw)
    if not _CYRILLIC.search(word):
        return word, word, False
    parses = _morphology().parse(word)
    # "отмените" is both "you will cancel" and "cancel!": any imperative reading counts, except "let's"
    # ("отправим" asks nothing of the buyer).
    imperative = any("impr" in parse.tag and "incl" not in parse.tag for parse in parses)
    return word, parses[0].normal_form.replace("ё", "е"), imperative


def read_word(word: str) -> str:
    """A mixed-script word is read in the script most of its letters use."""
    has_cyrillic = _CYRILLIC.search(word) is not None
    has_latin = _LATIN.search(word) is not None
    if has_cyrillic and has_latin:
        cyrillic_letters = len(_CYRILLIC.findall(word))
        latin_letters = len(_LATIN.findall(word))
        if cyrillic_letters >= latin_letters:
            return word.translate(_LATIN_TO_CYRILLIC)
        return word.translate(_CYRILLIC_TO_LATIN)
    return word


def prepare(text: str) -> Prepared:
    view, origins = readable_view(text)
    folded = fold_case(view)
    tokens = []
    for match in _WORD.finditer(folded):
        word, lemma, imperative = analyse(match.group())
        tokens.append(Token(word, lemma, match.start(), match.end(), imperative))
    return Prepared(
        text=text,
        view=view,
        folded=folded,
        tokens=tuple(tokens),
        sentences=_sentences(folded, tokens),
        origins=origins,
    )


def is_separator(char: str) -> bool:
    """Characters that may split a disguised number: spaces, dots, dashes, brackets, emoji and the like."""
    if char in " \t\n\r\xa0.-‐‑‒–—―()[]{}_*/\\|+~'\"«»·•∙⋅‧":
        return True
    category = unicodedata.category(char)
    # So: emoji and pictographs; Mn/Me/Cf: variation selectors, keycap marks, zero-width joiners; Zs: spaces.
    return category in {"So", "Sk", "Mn", "Me", "Cf", "Zs", "Cs"}
