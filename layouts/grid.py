"""The words AG Grid itself shows (paging, empty grid, filters, menus), from the catalogue, for every grid."""

from __future__ import annotations

from services.i18n import N_, _

# AG Grid's localeText keys that Kuzet's grids can show, with the English the grid would show itself.
GRID_WORDS: dict[str, str] = {
    "noRowsToShow": N_("Nothing to show"), "loadingOoo": N_("Loading..."),
    "page": N_("Page"), "of": N_("of"), "to": N_("to"), "more": N_("more"),
    "firstPage": N_("First page"), "previousPage": N_("Previous page"), "nextPage": N_("Next page"),
    "lastPage": N_("Last page"), "pageSizeSelectorLabel": N_("Rows per page:"),
    "ariaPageSizeSelectorLabel": N_("Rows per page"), "pageLastRowUnknown": N_("?"),
    "filterOoo": N_("Filter..."), "searchOoo": N_("Search..."), "selectAll": N_("(Select all)"),
    "equals": N_("Equals"), "notEqual": N_("Does not equal"), "contains": N_("Contains"),
    "notContains": N_("Does not contain"), "startsWith": N_("Begins with"), "endsWith": N_("Ends with"),
    "blank": N_("Blank"), "notBlank": N_("Not blank"), "lessThan": N_("Less than"),
    "greaterThan": N_("Greater than"), "inRange": N_("Between"), "andCondition": N_("AND"),
    "orCondition": N_("OR"), "applyFilter": N_("Apply"), "resetFilter": N_("Reset"), "clearFilter": N_("Clear"),
    "sortAscending": N_("Sort ascending"), "sortDescending": N_("Sort descending"), "sortUnSort": N_("Clear sort"),
    "pinColumn": N_("Pin column"), "autosizeThisColumn": N_("Autosize this column"), "resetColumns": N_("Reset columns"),
    "columnMenu": N_("Column menu"), "ariaFilterInput": N_("Filter input"), "ariaSearch": N_("Search"),
    "ariaRowSelect": N_("Press space to select this row"), "ariaChecked": N_("checked"), "ariaUnchecked": N_("unchecked"),
}


def grid_locale(**own: str) -> dict[str, str]:
    """AG Grid's words in the language of the moment; ``own`` overrides a key with the page's own (translated) text."""
    return {key: _(english) for key, english in GRID_WORDS.items()} | own
