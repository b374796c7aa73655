"""The masking rules for training: a corpus of real-looking 102 calls and notes, plates, names, the properties."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.replay import masking
from services.replay.masking import FOREIGN_PLATE, RULES, mask_name, mask_plate, mask_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = json.loads((ROOT / "tests" / "fixtures" / "masking_corpus.json").read_text(encoding="utf-8"))
LANGS = ("kk", "ru", "en")


def _id(entry: dict[str, str]) -> str:
    return f"{entry['lang']}:{entry['text'][:40]}"


def test_the_corpus_has_enough_of_each_language_and_kind() -> None:
    for lang in LANGS:
        entries = [e for e in CORPUS if e["lang"] == lang]
        assert len(entries) >= 15, lang
        assert sum(e["text"] == e["masked"] for e in entries) >= 3, f"{lang}: negatives"
        masked = " ".join(e["masked"] for e in entries)
        for kind in ("[name]", "[phone]", "[IIN]", "[email]", "*** *** ", FOREIGN_PLATE):
            assert kind in masked, f"{lang}: no example of {kind}"
    assert {e["lang"] for e in CORPUS} == set(LANGS)


@pytest.mark.parametrize("entry", CORPUS, ids=_id)
def test_corpus_text_is_masked_exactly(entry: dict[str, str]) -> None:
    assert mask_text(entry["text"]) == entry["masked"]


@pytest.mark.parametrize("entry", CORPUS, ids=_id)
def test_masking_is_idempotent_on_the_corpus(entry: dict[str, str]) -> None:
    once = mask_text(entry["text"])
    assert mask_text(once) == once
    assert mask_text(entry["masked"]) == entry["masked"]


def test_no_long_digit_run_survives_in_the_masked_corpus() -> None:
    survivors = [m.group() for e in CORPUS for m in re.finditer(r"\d{10,}", mask_text(e["text"]))]
    assert survivors == []


PLATES = [
    # 2012 format, private: 3 digits, 3 letters, region code
    ("123ABC02", "*** *** 02"),
    ("123 ABC 02", "*** *** 02"),
    ("123abc02", "*** *** 02"),
    ("123 АВС 02", "*** *** 02"),  # Cyrillic look-alikes
    ("456ХМТ20", "*** *** 20"),
    ("KZ 123 ABC 02", "*** *** 02"),
    (" 777-kkz-01 ", "*** *** 01"),
    # 2012 format, legal entities: 3 digits, 2 letters, region code
    ("123AB02", "*** *** 02"),
    ("001 KP 17", "*** *** 17"),
    # 1993 format: region letter first
    ("A123BCD", "A *** ***"),
    ("А 123 ВСН", "A *** ***"),
    ("z001aa", "Z *** ***"),
    ("B 456 KMT", "B *** ***"),
    # foreign: a marker only
    ("F 1234 02", FOREIGN_PLATE),
    ("Н 1234 02", FOREIGN_PLATE),
    ("А123ВС77", FOREIGN_PLATE),
    ("A 123 BC 777 RUS", FOREIGN_PLATE),
    ("01 123 ABC", FOREIGN_PLATE),
    ("01A123BC", FOREIGN_PLATE),
    # unknown shapes and regions
    ("123ABC21", "***"),
    ("123ABC00", "***"),
    ("G123ABC", "***"),
    ("ABC", "***"),
    ("12345", "***"),
    ("123 ДЖЩ 02", "***"),
    # empty and already masked
    ("", ""),
    ("   ", ""),
    ("*** *** 02", "*** *** 02"),
    ("A *** ***", "A *** ***"),
    (FOREIGN_PLATE, FOREIGN_PLATE),
    ("***", "***"),
]


@pytest.mark.parametrize(("plate", "masked"), PLATES)
def test_plate_is_reduced_to_its_region(plate: str, masked: str) -> None:
    assert mask_plate(plate) == masked
    assert mask_plate(mask_plate(plate)) == mask_plate(plate)


@pytest.mark.parametrize(("text", "masked"), [
    ("123ABC02", "*** *** 02"),
    ("a123bcd", "A *** ***"),
    ("Camry 123 ABC 99.", "Camry ***."),  # a plate with no such region is masked whole
    ("прошёл 150 км 20 минут назад", "прошёл 150 км 20 минут назад"),
    ("15 000 KZT", "15 000 KZT"),
])
def test_plates_in_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("+7 701 123 45 67", "[phone]"),
    ("8(701)1234567", "[phone]"),
    ("8 (727) 250-12-34", "[phone]"),
    ("+7-727-250-12-34", "[phone]"),
    ("(701) 123-45-67", "[phone]"),
    ("тел87011234567", "тел[phone]"),
    ("ул. Абая 150 8 701 123 45 67", "ул. Абая 150 [phone]"),
    ("8 701 123 45 67 2 человека", "[phone] 2 человека"),
    ("ИИН 900 101 300 123", "ИИН [IIN]"),
    ("ID12345678901", "ID[number]"),
    ("Азамат 22:40", "Азамат 22:40"),
    ("гражданин РК сообщил", "гражданин РК сообщил"),
    ("звонил Азамат", "звонил [name]"),
    ("Caller said", "Caller said"),
])
def test_edge_cases(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_structured_name() -> None:
    assert mask_name("Ахметова Айгерим") == "[name]"
    assert mask_name("[name]") == "[name]"
    assert mask_name("") == ""


def test_rules_are_named_and_documented() -> None:
    names = [name for name, _ in RULES]
    assert len(names) == len(set(names)) >= 6
    assert all(isinstance(d, str) and d and "\n" not in d for _, d in RULES)
    doc = (ROOT / "docs" / "masking.md").read_text(encoding="utf-8")
    assert [n for n in names if f"`{n}`" not in doc] == []


def test_the_module_is_pure() -> None:
    tree = ast.parse(Path(masking.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "re"}


FRAGMENTS = [
    " ", ", ", ". ", ":", "-", "(", ")", "+", "+7 ", "8", "7", "0", "12", "150", "701", "123", "45", "67",
    "9001013", "00123", "87011234567", "ABC", "АВС", "abc", "02", "KZ", "F ", "RUS", "KZT", "*** ", "[name]",
    "заявитель ", "гр.", "ФИО: ", "звонила ", "азамат ", "Азамат ", "caller ", "name: ", "Mr. ", "Mrs ", "Dr", "Иванов",
    "Иван", "П.", "Серіков", "Нұрлан", "John", "Smith", "ұлы", "a@b.kz", "ул. Абая ", "22:40", "#1234", "км/ч",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("".join))
def test_masking_is_idempotent_and_leaves_no_long_numbers(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once
    assert not re.search(r"\d{10,}", once)
