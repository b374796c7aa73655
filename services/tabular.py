"""Tables for spreadsheets: a cell that a spreadsheet would run as a formula is kept as text."""

from __future__ import annotations

from typing import Any

# Excel, LibreOffice and Google Sheets evaluate a cell that starts with one of these (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(cell: Any) -> Any:
    """The cell, or for text that would run as a formula the same text behind an apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def safe_row(row: list[Any]) -> list[Any]:
    """Every cell of a row made safe."""
    return [safe_cell(c) for c in row]
