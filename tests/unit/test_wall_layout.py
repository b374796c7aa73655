"""The wall layout is a pure function of the situation."""

from __future__ import annotations

from typing import Any

from layouts import wall
from services.duty.situation import Situation


def _situation(incidents: list[dict[str, Any]]) -> Situation:
    square = {"type": "Polygon", "coordinates": [[[76.9, 43.2], [76.95, 43.2], [76.95, 43.25], [76.9, 43.25], [76.9, 43.2]]]}
    return Situation(
        department={"id": 3, "code": "almaty-almaly", "name_ru": "Алмалинское РУП", "name_kk": "Алмалы АПБ",
                    "name_en": "Almaly District Police Department"},
        districts=[{"id": 1, "name": "Almaly", "name_local": "Алмалы", "own": True, "geometry": square,
                    "bounds": (76.9, 43.2, 76.95, 43.25)}],
        cameras=[{"id": 1, "external_id": "C1", "lat": 43.22, "lon": 76.92, "health": "offline", "mount_kind": "street",
                  "address": "", "last_seen_at": None}],
        units=[{"id": 1, "call_sign": "ALM-01", "status": "available", "lat": 43.23, "lon": 76.93}],
        incidents=incidents,
        counters={"open": len(incidents), "unacknowledged": len(incidents), "units_free": 1, "cameras_offline": 1,
                  "cameras": 1},
    )


def _row(i: int, priority: int) -> dict[str, Any]:
    return {"id": i, "priority": priority, "type_label": "Драка", "status": "new", "address": "ул. Абая",
            "lat": 43.22, "lon": 76.92, "created_at": "2026-11-25T10:00:00+00:00"}


def _find(component: Any, component_id: str) -> Any:
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def test_layout_carries_queue_map_counters_and_socket_for_the_department() -> None:
    page = wall.layout(_situation([_row(7, 1)]), username="duty.a")
    grid = _find(page, wall.QUEUE)
    assert [r["id"] for r in grid.rowData] == [7]
    assert _find(page, wall.COUNTER.format("cameras_offline")).children == "1"
    assert _find(page, wall.SOCKET).options == {"query": {"department": "3"}}
    assert _find(page, wall.DEPARTMENT).data == 3
    assert "kiosk" in wall.layout(_situation([]), username="x", kiosk=True).className


def test_map_draws_incidents_last_coloured_by_priority_and_keeps_the_view() -> None:
    figure = wall.map_figure(_situation([_row(1, 1), _row(2, 4)]))
    incidents = figure.data[wall.INCIDENT_TRACE]
    assert list(incidents.marker.color) == [wall.PRIORITY_COLOURS[1], wall.PRIORITY_COLOURS[4]]
    assert figure.layout.uirevision == "department-3"
    sources = figure.layout.map.style["sources"]
    assert all(src["type"] == "geojson" and isinstance(src["data"], dict) for src in sources.values())  # no URLs
    assert "glyphs" not in figure.layout.map.style and "sprite" not in figure.layout.map.style
    assert len(figure.layout.map.layers) == 2 and 8 <= figure.layout.map.zoom <= 16


def test_legend_names_every_colour_the_map_uses_for_priorities_units_and_health() -> None:
    legend = _find(wall.layout(_situation([]), username="duty.a"), wall.LEGEND)
    body = legend.children[1]  # after the fold button
    colours = {dot.style["background"] for group in body.children for row in group.children[1].children
               for dot in row.children if getattr(dot, "style", None)}
    assert set(wall.PRIORITY_COLOURS.values()) <= colours
    assert {wall.UNIT_COLOURS[k] for k in wall.LEGEND_UNITS} <= colours
    assert {wall.HEALTH_COLOURS[k] for k in wall.LEGEND_HEALTH} <= colours


def _texts(component: Any) -> list[str]:
    """Every string child of a component tree."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    return [t for child in (children if isinstance(children, list) else [children]) if child is not None
            for t in _texts(child)]


def test_the_wall_speaks_the_language_of_the_moment() -> None:
    from services import i18n
    from services.access.permissions import permitted
    from services.store.models import Role

    with i18n.speaking("en"):
        page = wall.layout(_situation([_row(7, 1)]), username="duty.a", can=permitted(Role.DUTY_OFFICER))
        texts = _texts(page)
        assert {"Open", "Not acknowledged", "Units free", "Cameras offline"} <= set(texts)
        assert "A acknowledge (Ctrl+click: several)" in wall.keys_hint(permitted(Role.DUTY_OFFICER))
        headers = [c.get("headerName") for c in _find(page, wall.QUEUE).columnDefs]
        assert "Type" in headers and "Status" in headers
        assert wall.incident_points([{**_row(1, 1), "type": "fight"}])["text"][0].startswith("№1 P1 Fight · NEW")
    with i18n.speaking("kk"):
        texts = _texts(wall.layout(_situation([]), username="duty.a"))
        assert {"Ашық", "Қабылданбаған"} <= set(texts)
        assert wall.chip_count({"open": 12, "unacknowledged": 3}) == "12 · 3 жаңа"
    with i18n.speaking("ru"):
        assert wall.STATUS_LABELS["new"] == "НОВОЕ" and wall.UNIT_LABELS["en_route"] == "в пути"


def test_incident_inset_keeps_the_incident_and_its_nearest_units_in_view() -> None:
    import math

    from layouts.incident import inset_view

    incident, unit = (43.2567, 76.9286), (43.2300, 76.9700)  # a unit ~4.6 km away
    center, zoom = inset_view([incident, unit], width_px=640, height_px=300)
    # At that zoom the map must span at least the distance between them, in both directions.
    span_lon = 360 * 640 / (512 * 2 ** zoom)
    span_lat = 360 * 300 / (512 * 2 ** zoom) * math.cos(math.radians(center["lat"]))
    assert span_lon >= abs(unit[1] - incident[1]) and span_lat >= abs(unit[0] - incident[0])
    assert min(incident[0], unit[0]) < center["lat"] < max(incident[0], unit[0])
    # A lone point still gets a street-level view, not the whole world or a single house.
    assert 14 <= inset_view([incident])[1] <= 16


def test_a_role_sees_only_the_wall_controls_it_may_use() -> None:
    from services.access.permissions import permitted
    from services.store.models import Role

    officer = wall.layout(_situation([_row(7, 1)]), username="duty.a", can=permitted(Role.DUTY_OFFICER))
    trainer = wall.layout(_situation([_row(7, 1)]), username="trainer", can=permitted(Role.TRAINER))
    controls = (wall.ACK, wall.DISPATCH, wall.TRANSFER, wall.MANUAL_OPEN)
    assert all(_find(officer, c) is not None for c in controls)
    assert all(_find(trainer, c) is None for c in controls)
    assert getattr(officer, "data-can-call") == "1" and getattr(trainer, "data-can-call") == "0"
    assert "A принять" in wall.keys_hint(permitted(Role.DUTY_OFFICER))
    assert "A принять" not in wall.keys_hint(permitted(Role.TRAINER))


def test_operator_text_in_map_hovers_is_never_markup() -> None:
    from layouts.wall import camera_texts, incident_points

    nasty = '<a href="https://evil.example">Click</a><span style="font-size:60px">BIG</span>'
    texts = camera_texts([{"external_id": "<b>CAM</b>", "health": "online", "last_seen_at": None, "address": nasty}])
    assert "<a " not in texts[0] and "<span" not in texts[0] and "&lt;a href" in texts[0] and "&lt;b&gt;CAM" in texts[0]
    assert texts[0].count("<br>") == 1  # the one line break Kuzet itself puts there
    points = incident_points([{"id": 1, "priority": 1, "type_label": "Драка", "status": "new", "address": nasty,
                               "lat": 43.2, "lon": 76.9}])
    assert "<a " not in points["text"][0] and "&lt;span" in points["text"][0]
