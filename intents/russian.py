"""Russian helpers: stemming, lemmas, wrong keyboard layout, transliteration skeletons.

PyStemmer (C Snowball, <1 µs a word) is used per message; pymorphy3 (lemmas, known-word test)
is loaded lazily and used for index keys and for the rare Latin token that might be a layout slip.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_lock = threading.Lock()
_stemmer: Any = None
_morph: Any = None


def _get_stemmer() -> Any:
    global _stemmer
    if _stemmer is None:
        import Stemmer

        with _lock:
            if _stemmer is None:
                _stemmer = Stemmer.Stemmer("russian")
    return _stemmer


def _get_morph() -> Any:
    global _morph
    if _morph is None:
        import pymorphy3

        with _lock:
            if _morph is None:
                _morph = pymorphy3.MorphAnalyzer()
    return _morph


@lru_cache(maxsize=262144)
def stem(word: str) -> str:
    """Snowball stem of a folded (lower, ё->е) Cyrillic word: сгущенки -> сгущенк."""
    return str(_get_stemmer().stemWord(word))


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """pymorphy3 normal form, ё folded: пельменей -> пельмень. Brands get mangled: use as an extra key."""
    return str(_get_morph().parse(word)[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=65536)
def is_known_word(word: str) -> bool:
    """Is this Cyrillic word in the Russian dictionary (not just a guessed paradigm)?"""
    return len(word) >= 2 and bool(_get_morph().word_is_known(word))


# ЙЦУКЕН typed on a QWERTY layout: 'ghbdtn' is 'привет', 'Ptabh' is 'Зефир'.
_EN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RU = "йцукенгшщзхъфывапролджэячсмитьбюё"
_EN2RU = str.maketrans(_EN, _RU)
_RU2EN = str.maketrans(_RU, _EN)


def layout_to_ru(latin: str) -> str:
    """Reinterpret text typed with the Latin layout active as the Russian keys it was meant to be."""
    return latin.lower().translate(_EN2RU).replace("ё", "е")


def layout_to_en(cyr: str) -> str:
    return cyr.lower().translate(_RU2EN)


_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_TRANSLIT_TABLE = str.maketrans(_TRANSLIT)

# Folds applied to any Latin spelling of Russian so that transliteration schemes agree
# (sgushchionka / sguschenka / sgushenka; kvas / kwas; baltika / baltica): order matters.
_SKELETON_RULES = (
    ("shch", "sh"), ("sch", "sh"), ("tsch", "ch"), ("tch", "ch"), ("kh", "h"), ("ts", "c"), ("tz", "c"),
    ("ph", "f"), ("ck", "k"), ("w", "v"), ("x", "ks"), ("q", "k"), ("yo", "e"), ("jo", "e"), ("io", "e"),
    ("ye", "e"), ("je", "e"), ("ya", "ia"), ("ja", "ia"), ("yu", "iu"), ("ju", "iu"), ("j", "i"), ("y", "i"),
    ("ce", "ke"), ("ci", "ki"), ("ca", "ka"), ("co", "ko"), ("cu", "ku"),
)  # fmt: skip


@lru_cache(maxsize=262144)
def skeleton(latin: str) -> str:
    """Folded Latin key of a transliterated Russian word; double letters collapse."""
    s = "".join(c for c in latin.lower() if "a" <= c <= "z")
    for a, b in _SKELETON_RULES:
        if a in s:
            s = s.replace(a, b)
    out: list[str] = []
    for c in s:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


@lru_cache(maxsize=262144)
def translit(cyr: str) -> str:
    """Plain transliteration of a folded Cyrillic word (used to build skeleton keys)."""
    return cyr.translate(_TRANSLIT_TABLE)


# Spelling by ear: voiced consonants devoiced, unstressed-sounding vowels merged, soft/hard signs
# dropped, щ/ш and й/и merged, doubles collapsed, so 'вотка' meets 'водка', 'сгушонка' 'сгущенка'.
_PHONETIC = str.maketrans({
    "б": "п", "в": "ф", "г": "к", "д": "т", "ж": "ш", "з": "с", "щ": "ш", "о": "а", "ё": "е", "э": "е",
    "ы": "и", "й": "и", "я": "а", "ю": "у", "ь": None, "ъ": None,
})  # fmt: skip


@lru_cache(maxsize=262144)
def phonetic(word: str) -> str:
    """Sound key of a folded Cyrillic word or stem (for misspellings by ear, compared fuzzily)."""
    s = word.translate(_PHONETIC)
    out: list[str] = []
    for c in s:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


# Reverse transliteration, good enough to ask the dictionary whether 'pryaniki' is a Russian word.
_REVERSE = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("yo", "ё"), ("yu", "ю"), ("ya", "я"), ("ye", "е"), ("ju", "ю"), ("ja", "я"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
    ("i", "и"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "к"), ("y", "ы"),
    ("x", "кс"), ("q", "к"),
)  # fmt: skip


@lru_cache(maxsize=65536)
def detranslit(latin: str) -> str:
    s = latin.lower()
    out: list[str] = []
    i = 0
    while i < len(s):
        for a, b in _REVERSE:
            if s.startswith(a, i):
                out.append(b)
                i += len(a)
                break
        else:
            i += 1
    word = "".join(out)
    # word-final 'y'/'i' after a vowel is usually й (chaj, moj); 'ы' after к/г/х is и in Russian
    for a, b in (("кы", "ки"), ("гы", "ги"), ("хы", "хи")):
        word = word.replace(a, b)
    return word.replace("ё", "е")
