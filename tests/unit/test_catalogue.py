"""The message catalogue: every message translated in kk, ru and en, in step with the code, placeholders kept."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages import pofile
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from services import i18n
from services.i18n.terms import TERMS, term

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalogue(code: str) -> pofile.Catalog:
    with i18n.po_path(code).open("rb") as source:
        return pofile.read_po(source, locale=code)


def in_code() -> set[tuple[str | None, str]]:
    """Every (context, message id) the code marks, extracted now as `make catalogue` does."""
    with (REPO / "services/i18n/babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "NP_": ((1, "c"), 2), "kuzetT": None}
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(str(REPO), method_map, options_map, keywords):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_every_message_has_its_translation(code: str) -> None:
    missing = []
    for message in catalogue(code):
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            missing.append(message.id)
    assert not missing, f"{len(missing)} messages lack a {code} translation, e.g. {missing[:5]}"


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_translations_keep_the_placeholders(code: str) -> None:
    wrong = []
    for message in catalogue(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) - {"n"}
        for form in forms:
            if set(PLACEHOLDER.findall(form)) - {"n"} != wanted:
                wrong.append((message.id, form))
    assert not wrong, f"translations that lose or invent a placeholder: {wrong[:5]}"


def test_the_catalogue_holds_every_message_the_code_marks() -> None:
    known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue("ru") if m.id}
    new = sorted(in_code() - known, key=str)
    assert not new, f"{len(new)} messages are not in the catalogue (run make catalogue and translate them): {new[:8]}"


def test_every_term_is_in_each_language() -> None:
    for code in i18n.LANGUAGES:
        with i18n.speaking(code):
            for kind, codes in TERMS.items():
                for value in codes:
                    assert term(kind, value), (code, kind, value)
    with i18n.speaking("kk"):
        assert term("status", "new") == "ЖАҢА"
        assert term("outcome", "administrative_protocol") == "Әкімшілік хаттама"
    with i18n.speaking("ru"):
        assert term("unit", "on_scene") == "на месте"
        assert term("status", "on_scene") == "наряд на месте"  # one English word, two meanings: contexts
    assert term("status", "no-such-code") == "no-such-code"


def test_formats_follow_the_language_and_almaty_time() -> None:
    moment = datetime(2026, 12, 8, 19, 5, 7, 123456, tzinfo=timezone.utc)  # 00:05 next day in Almaty (UTC+5)
    with i18n.speaking("ru"):
        assert i18n.format_time(moment) == "00:05:07"
        assert "9 дек. 2026" in i18n.format_datetime(moment)
        assert i18n.format_money(Decimal("1234567.5")).replace("\xa0", " ").replace("\u202f", " ") == "1 234 567,50 ₸"
    with i18n.speaking("en"):
        assert i18n.format_datetime(moment).startswith("Dec 9, 2026")
        assert i18n.format_number(1234567.5) == "1,234,567.5"
    with i18n.speaking("kk"):
        assert "2026" in i18n.format_date(moment) and "123456" not in i18n.format_datetime(moment)


def test_the_language_of_a_browser_is_negotiated() -> None:
    assert i18n.negotiate(["kk-KZ", "ru"]) == "kk"
    assert i18n.negotiate(["en-US"]) == "en"
    assert i18n.negotiate(["de-DE"]) is None
    assert i18n.negotiate([]) is None
    with i18n.speaking("xx"):
        assert i18n.language() == i18n.DEFAULT
