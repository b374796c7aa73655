"""Money in integer tiyn (1 KZT = 100 tiyn) and rates in basis points: exact arithmetic, never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from services.i18n import _

TIYN_PER_KZT = 100
BP_PER_PCT = 100  # a basis point is a hundredth of a percent


def parse_kzt(text: object) -> int:
    """Tenge as written ("12500", "12500.50", "12 500,50") to tiyn; ValueError for anything else."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise ValueError(_("an amount in tenge, for example 12500 or 12500.50"))
    raw = str(text).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("%(text)s is not an amount in tenge", text=repr(text))) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal(10) ** 12:
        raise ValueError(_("%(text)s is not an amount in tenge between 0 and 10^12", text=repr(text)))
    tiyn = amount * TIYN_PER_KZT
    if tiyn != tiyn.to_integral_value():
        raise ValueError(_("%(text)s has more than two decimals (tiyn are the smallest unit)", text=repr(text)))
    return int(tiyn)


def parse_pct(text: object, *, at_most: Decimal = Decimal(100)) -> int:
    """A percentage with up to two decimals ("25", "12.5") to basis points; ValueError otherwise."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float, Decimal)):
        raise ValueError(_("a percentage, for example 25 or 12.5"))
    try:
        pct = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("%(text)s is not a percentage", text=repr(text))) from None
    if not pct.is_finite() or pct < 0 or pct > at_most:
        raise ValueError(_("%(text)s is not a percentage between 0 and %(most)s", text=repr(text), most=at_most))
    bp = pct * BP_PER_PCT
    if bp != bp.to_integral_value():
        raise ValueError(_("%(text)s has more than two decimals", text=repr(text)))
    return int(bp)


def share(amount_tiyn: int, rate_bp: int) -> int:
    """``rate_bp`` basis points of an amount, rounded half up to the tiyn."""
    return int((Decimal(amount_tiyn) * rate_bp / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def scaled(amount_tiyn: int, numerator: int, denominator: int) -> int:
    """amount x numerator / denominator, rounded half up to the tiyn."""
    return int((Decimal(amount_tiyn) * numerator / denominator).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def kzt(tiyn: int) -> str:
    """Tiyn as tenge with two decimals, "12500.50" (machine formats; pages format per language)."""
    sign = "-" if tiyn < 0 else ""
    return f"{sign}{abs(tiyn) // 100}.{abs(tiyn) % 100:02d}"


def pct(bp: int) -> str:
    """Basis points as a percentage, "12.5"."""
    return format(Decimal(bp) / BP_PER_PCT, "f").rstrip("0").rstrip(".") if bp % 100 else str(bp // 100)
