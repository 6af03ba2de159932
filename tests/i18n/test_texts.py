"""What keeps the texts native in both languages: one term per thing (docs/glossary.md), the same facts
in each language's FAQ, prices and punctuation as each language writes them, no template left over."""

from __future__ import annotations

import re

import pytest

from tests.i18n.texts import GLOSSARY, all_texts, faq_entries, msgstrs

LANGS = ("zh", "ru")
HAN = r"\u3400-\u9fff"
#: Text in quotes is what the user types ("напишите «оператор»"), not the bot's own words.
QUOTED = re.compile(r"«[^»]*»|“[^”]*”|„[^“]*“|\"[^\"]*\"")


def glossary_rows() -> list[dict[str, list[str]]]:
    rows = []
    header: list[str] | None = None
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= {"-", " "}:
            continue
        rows.append(
            {
                name: [t.strip() for t in cell.split(";") if t.strip()]
                for name, cell in zip(header, cells, strict=True)
            }
        )
    return rows


def test_glossary_is_readable() -> None:
    rows = glossary_rows()
    assert len(rows) >= 10
    assert all(row["zh"] and row["ru"] and row["en"] for row in rows)


@pytest.mark.parametrize("lang", LANGS)
def test_texts_use_the_glossary_terms(lang: str) -> None:
    texts = all_texts(lang)
    unquoted = [(where, QUOTED.sub("", text).lower()) for where, text in texts]
    everything = "\n".join(text.lower() for _where, text in texts)
    problems = []
    for row in glossary_rows():
        for term in row[lang]:
            if term.lower() not in everything:
                problems.append(f"the glossary's term {term!r} ({row['en'][0]}) is used nowhere")
        for avoided in row[f"{lang}: not"]:
            for where, text in unquoted:
                if avoided.lower() in text:
                    problems.append(f"{where}: says {avoided!r}; the glossary's term is {row[lang]}")
    assert not problems, "\n".join(problems)


def _numbers(text: str) -> list[str]:
    """The figures of a text, written one way: '26 000' and '26000' alike, '9,1' as '9.1'."""
    found = re.findall(r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?(?:/\d+)?", text)
    return sorted(re.sub(r"[ \u00a0\u202f]", "", n).replace(",", ".") for n in found)


def _codes(text: str) -> list[str]:
    """Latin codes and names in capitals (EAC, SF…), which read the same in every language."""
    return sorted(set(re.findall(r"\b[A-Z][A-Z0-9]{2,}\b", text)))


@pytest.mark.parametrize("key", sorted(faq_entries()))
def test_faq_states_the_same_facts_in_each_language(key: str) -> None:
    entry = faq_entries()[key]
    zh, ru = entry["zh"], entry["ru"]
    assert _numbers(zh) == _numbers(ru), f"{key}: figures differ: zh {_numbers(zh)} vs ru {_numbers(ru)}"
    assert _codes(zh) == _codes(ru), f"{key}: codes differ: zh {_codes(zh)} vs ru {_codes(ru)}"
    # An address or document kept in its own script must appear in the other language's text too.
    for cyrillic in re.findall(r"[А-Яа-яЁё][А-Яа-яЁё.\- ]*[А-Яа-яЁё.]", zh):
        assert cyrillic.strip() in ru, f"{key}: the Chinese text's {cyrillic!r} is not in the Russian one"
    for han in re.findall(f"[{HAN}]+", ru):
        assert han in zh, f"{key}: the Russian text's {han!r} is not in the Chinese one"


def test_faq_facts_check_catches_a_difference() -> None:
    assert _numbers("黑河市 XX 路 88 号") != _numbers("ул. Промышленная, 12")
    assert _numbers("26000 元, 9.1%") == _numbers("26 000 юаней, 9,1 %")


@pytest.mark.parametrize("lang", LANGS)
def test_no_template_placeholders_left(lang: str) -> None:
    leftover = re.compile(
        r"\bXX+\b|\bTODO\b|\bFIXME\b|\bTBD\b|\?\?\?|lorem ipsum|YYYY|\[[^\]]*\]", re.IGNORECASE
    )
    problems = [f"{where}: {text!r}" for where, text in all_texts(lang) if leftover.search(text)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_no_cn_yen(lang: str) -> None:
    problems = [f"{where}: {text!r}" for where, text in all_texts(lang) if "CN¥" in text]
    assert not problems, "\n".join(problems)


def test_chinese_uses_full_width_punctuation() -> None:
    """A half-width , : ; ! ? ( ) next to a Chinese character is a full-width one mistyped."""
    half = re.compile(f"[{HAN}][,:;!?()]|[,:;!?()][{HAN}]|[{HAN}] [,:;!?()]")
    problems = [f"{where}: {text!r}" for where, text in all_texts("zh") if half.search(text)]
    assert not problems, "\n".join(problems)


def test_russian_keeps_its_own_punctuation() -> None:
    """No full-width punctuation and no English quotes in Russian texts; «ёлочки» outside."""
    problems = [
        f"{where}: {text!r}"
        for where, text in all_texts("ru")
        if re.search("[，：；！？（）“”]", text) or re.search(r'"\w', text)
    ]
    assert not problems, "\n".join(problems)


def test_chinese_and_russian_lists_are_patterns_not_code() -> None:
    """List lines are msgids with placeholders, so each language orders and punctuates them."""
    zh = dict(msgstrs("zh"))
    assert zh["· {name} — {price} ({stock})"] != "· {name} — {price} ({stock})"
    assert "（" in zh["· {name} — {price} ({stock})"]
