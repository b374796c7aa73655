"""Personal-data masking for training: plates reduced to their region, free text and names replaced.

Pure functions over strings (``re`` only), applied by ``services.replay.redaction`` to whatever a
replay, the trainer's incident views, the archive and training packs show. ``mask_text`` is
idempotent, so text masked once (a training pack built from masked rows) comes back unchanged.

Plate formats (Wikipedia, "Vehicle registration plates of Kazakhstan" and its Russian and German
counterparts "Регистрационные знаки транспортных средств в Казахстане", "Kfz-Kennzeichen (Kasachstan)"):

- 2012 format, private: ``123 ABC 02`` (3 digits, 3 Latin letters, 2-digit region code 01-20);
- 2012 format, legal entities: ``123 AB 02`` (3 digits, 2 letters, region code);
- 2012 format, foreign-owned vehicles and companies (yellow): ``F 1234 02`` / ``H 1234 02``;
- 1993 format: region letter first, ``A 123 BCD`` (private) or ``A 123 BC`` (legal entity);
- neighbours' plates seen on Kazakh roads: Russia ``А 123 ВС 77`` / ``777``, Kyrgyzstan
  ``01 123 ABC``, Uzbekistan ``01 A 123 BC`` / ``01 123 ABC``.

Kazakh plates keep their region (``*** *** 02``, ``A *** ***``); foreign ones keep only a marker.
"""

from __future__ import annotations

import re

NAME = "[name]"
PHONE = "[phone]"
IIN = "[IIN]"
EMAIL = "[email]"
NUMBER = "[number]"
FOREIGN_PLATE = "[foreign plate]"
UNKNOWN_PLATE = "***"

RULES: tuple[tuple[str, str], ...] = (
    ("email", "an e-mail address becomes [email]"),
    ("phone", ("a Kazakhstan phone number in any common writing (+7, 8, 10 digits, brackets, dashes, "
               "spaces; a city 123-45-67; any +country number) becomes [phone]")),
    ("iin", "a 12-digit IIN (ИИН / ЖСН), written solid or in groups, becomes [IIN]"),
    ("long_number", "any other run of 10 or more digits, or a 4x4-digit card number, becomes [number]"),
    ("plate", "a Kazakhstan plate keeps only its region: 123ABC02 becomes *** *** 02, A123BCD becomes A *** ***"),
    ("foreign_plate", "a foreign-owned (F/H) or Russian, Kyrgyz or Uzbek plate becomes [foreign plate]"),
    ("name", ("1-3 capitalised words or initials after a keyword (заявитель, гр., гражданка, ФИО:, звонила, "
              "арыз беруші, азамат, caller, name: ...) become [name]; the keyword stays")),
)

# Cyrillic letters that look like Latin ones; operators type plates in either alphabet.
_LOOKALIKE = str.maketrans("АВЕКМНОРСТХУ", "ABEKMHOPCTXY")
_PLATE_CHARS = "A-ZАВЕКМНОРСТХУ"
_REGION_LETTERS = "ABCDEFHKLMNOPRSTUVWXZ"  # the 1993 region letters (Z Astana, A Almaty, ...)
_REGION_LETTERS_TEXT = _REGION_LETTERS + "АВЕКМНОРСТХ"
_CURRENCIES = frozenset({"KZT", "USD", "EUR", "RUB", "CNY", "KGS", "UZS", "GBP", "TRY", "AED"})

_KZ_2012 = re.compile(r"(?:KZ)?\d{3}[A-Z]{2,3}(\d{2})")
_KZ_1993 = re.compile(rf"([{_REGION_LETTERS}])\d{{3}}[A-Z]{{2,3}}")
_FOREIGN = (
    re.compile(r"[FH]\d{4}\d{2}"),  # Kazakhstan, foreign-owned (yellow)
    re.compile(r"[ABEKMHOPCTYX]\d{3}[ABEKMHOPCTYX]{2}\d{2,3}(?:RUS)?"),  # Russia
    re.compile(r"\d{2}\d{3}[A-Z]{2,3}(?:KG|UZ)?"),  # Kyrgyzstan, Uzbekistan (state)
    re.compile(r"\d{2}[A-Z]\d{3}[A-Z]{2}(?:UZ)?"),  # Uzbekistan (private)
)
_ALREADY_MASKED = re.compile(rf"\*\*\* \*\*\* \d{{2}}|[{_REGION_LETTERS}] \*\*\* \*\*\*|\*\*\*|{re.escape(FOREIGN_PLATE)}")


def _normal_plate(plate: str) -> str:
    return re.sub(r"[\s\-–.]", "", plate.upper().translate(_LOOKALIKE))


def mask_plate(plate: str) -> str:
    """A vehicle plate reduced to its region code (``*** *** 02``, ``A *** ***``), foreign or unknown masked whole."""
    if not plate.strip():
        return ""
    if _ALREADY_MASKED.fullmatch(plate.strip()):
        return plate.strip()
    compact = _normal_plate(plate)
    if m := _KZ_2012.fullmatch(compact):
        return f"*** *** {m.group(1)}" if 1 <= int(m.group(1)) <= 20 else UNKNOWN_PLATE
    if m := _KZ_1993.fullmatch(compact):
        return f"{m.group(1)} *** ***"
    if any(p.fullmatch(compact) for p in _FOREIGN):
        return FOREIGN_PLATE
    return UNKNOWN_PLATE


def mask_name(name: str) -> str:
    """A person's name from a structured field becomes ``[name]``; an empty field stays empty."""
    return NAME if name.strip() else name


_DOMAIN_RE = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_LOCAL_CHAR_RE = re.compile(r"[\w.+-]")


def _mask_emails(text: str) -> str:
    # From each "@" back over the local part, not a pattern tried at every letter: that is quadratic on long words.
    out: list[str] = []
    last = 0
    for m in _DOMAIN_RE.finditer(text):
        start = m.start()
        while start > last and _LOCAL_CHAR_RE.match(text, start - 1):
            start -= 1
        if start < m.start():
            out.append(text[last:start] + EMAIL)
            last = m.end()
    return "".join(out) + text[last:]


_SP = r"[ \t\u00a0]"
_SEP = rf"(?:{_SP}*[-–]{_SP}*|{_SP}*\({_SP}*|{_SP}*\){_SP}*(?:[-–]{_SP}*)?|{_SP}+)"
_CLUSTER_RE = re.compile(rf"(\+{_SP}?)?\d+(?:{_SEP}\d+)*")
_DIGITS_RE = re.compile(r"\d+")


def _phone_groups(sizes: list[int], first: tuple[int, ...]) -> bool:
    # Groups of at most 4 digits (the last may hold 6-7, "8(701)1234567"), led by a trunk or area code.
    if len(sizes) == 1:
        return True
    if sizes[0] not in first:
        return False
    rest = sizes[1:]
    return rest == [10] or (all(s <= 4 for s in rest[:-1]) and rest[-1] <= 7)


def _is_phone(groups: list[str], plus: bool) -> bool:
    digits = "".join(groups)
    n = len(digits)
    sizes = [len(g) for g in groups]
    if plus:
        return n == 11 if digits[0] == "7" else 10 <= n <= 13
    if n == 11 and digits[0] in "78" and digits[1] in "67":
        return _phone_groups(sizes, (1, 4))
    if n == 10 and digits[0] in "67":
        return _phone_groups(sizes, (3, 4))
    return False


def _is_iin(groups: list[str]) -> bool:
    digits = "".join(groups)
    if len(digits) != 12:
        return False
    if len(groups) == 1:
        return True  # a solid 12-digit number is an IIN (or a company's BIN): mask it either way
    # Grouped: only when the first six digits read as a birth date, so neighbouring numbers are not joined.
    month, day, century = int(digits[2:4]), int(digits[4:6]), digits[6]
    return all(len(g) <= 6 for g in groups) and 1 <= month <= 12 and 1 <= day <= 31 and century in "0123456"


def _classify(groups: list[str], seps: list[str], plus: bool) -> str | None:
    if _is_phone(groups, plus):
        return PHONE
    if _is_iin(groups):
        return IIN
    sizes = [len(g) for g in groups]
    if sizes == [3, 2, 2] and all(s.strip() in ("-", "–") for s in seps):
        return PHONE  # a city number, 250-12-34
    if sizes == [4, 4, 4, 4] or len(groups) == 1 and sizes[0] >= 10:
        return NUMBER
    return None


def _mask_cluster(text: str, m: re.Match[str]) -> list[tuple[int, int, str]]:
    groups = [(m.start() + g.start(), m.start() + g.end()) for g in _DIGITS_RE.finditer(m.group())]
    values = [text[a:b] for a, b in groups]
    seps = [text[groups[k][1]:groups[k + 1][0]] for k in range(len(groups) - 1)]
    plus = m.group(1) is not None
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(groups):
        hit = None
        last, total = i, len(values[i])
        while last + 1 < len(groups) and total + len(values[last + 1]) <= 16:  # nothing masked is longer
            last += 1
            total += len(values[last])
        # Phones first, longest first: "8 701 123 45 67 2 человека" is a phone and a count, not an IIN.
        for kinds in ((PHONE,), (IIN, NUMBER)):
            for j in range(last, i - 1, -1):
                kind = _classify(values[i:j + 1], seps[i:j], plus and i == 0)
                if kind in kinds:
                    hit = (j, kind)
                    break
            if hit:
                break
        if hit is None:
            i += 1
            continue
        j, kind = hit
        start, end = groups[i][0], groups[j][1]
        if plus and i == 0:
            start = m.start()
        elif start > 0 and text[start - 1] == "(" and j > i and seps[i].lstrip().startswith(")"):
            start -= 1  # "(701) 123-45-67": the bracket goes with the number
        found.append((start, end, kind))
        i = j + 1
    return found


def _mask_numbers(text: str) -> str:
    spans = [s for m in _CLUSTER_RE.finditer(text) for s in _mask_cluster(text, m)]
    for start, end, kind in reversed(spans):
        text = text[:start] + kind + text[end:]
    return text



_P = _PLATE_CHARS
_R = _REGION_LETTERS_TEXT
# Spaced forms must be in capitals ("150 км 20" is a distance); solid ones may be in any case.
_PLATE_TEXT_RE = re.compile(
    rf"(?<![\w*])(?:"
    rf"[{_P}]{_SP}?\d{{3}}{_SP}?[{_P}]{{2}}{_SP}?\d{{2,3}}(?:{_SP}?RUS)?"  # Russia
    rf"|(?i:[{_P}]\d{{3}}[{_P}]{{2}}\d{{2,3}})"
    rf"|(?:KZ{_SP}?)?\d{{3}}{_SP}?[{_P}]{{2,3}}{_SP}?\d{{2}}"  # Kazakhstan 2012
    rf"|(?i:(?:kz)?\d{{3}}[{_P}]{{2,3}}\d{{2}})"
    rf"|[FHН]{_SP}?\d{{4}}{_SP}?\d{{2}}"  # Kazakhstan, foreign-owned
    rf"|\d{{2}}{_SP}?[{_P}]{_SP}?\d{{3}}{_SP}?[{_P}]{{2}}"  # Uzbekistan, private
    rf"|\d{{2}}{_SP}?\d{{3}}{_SP}?[{_P}]{{3}}"  # Kyrgyzstan, Uzbekistan
    rf"|[{_R}]{_SP}?\d{{3}}{_SP}?[{_P}]{{2,3}}"  # Kazakhstan 1993
    rf"|(?i:[{_R}]\d{{3}}[{_P}]{{2,3}})"
    rf")(?!\w)"
)


def _plate_in_text(m: re.Match[str]) -> str:
    found = m.group()
    if found[-3:].upper() in _CURRENCIES and found[:2].isdigit():
        return found  # "15 000 KZT" is a sum, not a Kyrgyz plate
    return mask_plate(found)



_UP = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_LO = "a-zа-яёәғқңөұүһі"
_WORD = rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:[-'’]?[{_UP}][{_LO}]+|[-'’][{_LO}]+)*"
_INITIAL = rf"[{_UP}]\."
_TOKEN = rf"(?:{_WORD}|{_INITIAL})"
_TITLE = r"(?:Mrs?|Ms|Dr)\b\.?"  # kept with the keyword ("name: Mr. [name]"), never taken for the name
_NAME = (rf"(?!{_TITLE}){_TOKEN}(?:(?:{_SP}+|(?<=\.)){_TOKEN}){{0,2}}"
         rf"(?:{_SP}+(?:ұлы|қызы|улы|кызы))?(?![{_UP}{_LO}\d])")
_KEYWORDS = (
    # Russian, any case and ending
    r"(?i:заявител\w*|граждан(?:ин|к)\w*|гр\.|гр-(?:н|на|ну|ка|ки|ке|кой)\b\.?|ф\.?\s?и\.?\s?о\b\.?"
    r"|звонил\w*|позвонил\w*|звонивш\w*|со\s+слов|потерпевш\w*|пострадавш\w*|свидетел\w*|очевид\w*"
    r"|задержан\w*|подозреваем\w*"
    # Kazakh ("азамат" only in lower case: Азамат is also a given name)
    r"|арыз\s+беруш\w*|арыз\s+иес\w*|азаматша\w*|хабарлауш\w*|хабарлаған|қоңырау\s+шалған\w*"
    r"|жәбірленуш\w*|куәгер\w*|куә\b|күдікт\w*|ұсталған\w*|аты-жөні|таә\b"
    # English
    r"|caller|complainant|applicant|victim|witness|suspect|citizen|reported\s+by|name\s*:|mrs?\b\.?|ms\b\.?)"
    r"|азамат(?:тың|қа|ты|та|пен)?\b"
)
_NAME_RE = re.compile(
    rf"(?<![\w-])(?P<kw>{_KEYWORDS})(?P<sep>(?:(?<=[.:]){_SP}*|{_SP}*[:—–-]{_SP}*|{_SP}+)(?:{_TITLE}{_SP}*)?)"
    rf"(?P<name>{_NAME})"
)


# "Азамат" opening a sentence is either the keyword or the given name: mask the name whole either way.
_AZAMAT_RE = re.compile(rf"(?<![\w-])Азамат{_SP}+{_NAME}")


def _name_in_text(m: re.Match[str]) -> str:
    return m.group("kw") + m.group("sep") + NAME


def mask_text(text: str) -> str:
    """Free text with e-mails, phones, IINs, long numbers, plates and keyword-introduced names masked."""
    text = _mask_emails(text)
    text = _mask_numbers(text)
    text = _PLATE_TEXT_RE.sub(_plate_in_text, text)
    text = _AZAMAT_RE.sub(NAME, text)
    return _NAME_RE.sub(_name_in_text, text)
