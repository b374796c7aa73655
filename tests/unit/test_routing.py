"""Jurisdiction lookup on the real Almaty boundaries."""

from __future__ import annotations

import numpy as np

from geodata import ALMATY_DISTRICTS, JurisdictionIndex, load_boundaries


def _index() -> tuple[JurisdictionIndex, list[str]]:
    boundaries = load_boundaries(ALMATY_DISTRICTS)
    return JurisdictionIndex([b.geometry for b in boundaries], list(range(len(boundaries)))), [b.name for b in boundaries]


def test_landmarks_fall_in_their_districts() -> None:
    index, names = _index()
    assert names[index.locate(43.2567, 76.9286)[0]] == "Almaly"
    assert names[index.locate(43.2220, 76.9200)[0]] == "Bostandyk"


def test_point_outside_all_districts_goes_to_nearest_and_is_flagged() -> None:
    index, names = _index()
    key, outside = index.locate(43.40, 77.05)  # north-east of the city, past Turksib
    assert outside is True
    assert names[key] in {"Turksib", "Medeu", "Jetysu"}
    key, outside = index.locate(43.2567, 76.9286)
    assert outside is False


def test_bulk_lookup_matches_single_lookups() -> None:
    index, _ = _index()
    rng = np.random.default_rng(7)
    lats = rng.uniform(43.15, 43.35, 500)
    lons = rng.uniform(76.75, 77.10, 500)
    keys, outside = index.locate_many(lats, lons)
    for i in range(0, 500, 37):
        assert (int(keys[i]), bool(outside[i])) == index.locate(lats[i], lons[i])


def test_districts_have_plausible_areas() -> None:
    areas = {b.name: b.area_km2 for b in load_boundaries(ALMATY_DISTRICTS)}
    assert 15 < areas["Almaly"] < 21
    assert 250 < areas["Medeu"] < 300


def test_point_on_a_shared_border_belongs_to_one_side_and_is_not_outside() -> None:
    boundaries = load_boundaries(ALMATY_DISTRICTS)
    by_name = {b.name: b for b in boundaries}
    border = by_name["Almaly"].geometry.boundary.intersection(by_name["Bostandyk"].geometry.boundary)
    assert not border.is_empty
    point = border.representative_point()
    index, names = _index()
    key, outside = index.locate(point.y, point.x)
    assert outside is False and names[key] in {"Almaly", "Bostandyk"}
    assert index.locate(point.y, point.x) == (key, outside)  # deterministic


def test_a_shared_edge_goes_to_the_first_listed_polygon_in_bulk_too() -> None:
    from shapely.geometry import box

    west, east = box(76.90, 43.20, 76.95, 43.25), box(76.95, 43.20, 77.00, 43.25)
    on_edge, inside_east = (43.22, 76.95), (43.22, 76.97)
    for geometries, keys in (([west, east], [10, 20]), ([east, west], [20, 10])):
        index = JurisdictionIndex(geometries, keys)
        found, outside = index.locate_many(np.array([on_edge[0], inside_east[0]]), np.array([on_edge[1], inside_east[1]]))
        assert list(found) == [keys[0], 20] and not outside.any()


def test_where_polygons_overlap_the_first_listed_wins_for_every_point() -> None:
    from shapely.geometry import box

    region, city = box(70.0, 49.0, 75.0, 52.0), box(73.0, 49.5, 73.2, 49.9)
    lats, lons = np.full(500, 49.7), np.linspace(73.01, 73.19, 500)  # all inside both
    assert set(JurisdictionIndex([city, region], [1, 2]).locate_many(lats, lons)[0]) == {1}
    assert set(JurisdictionIndex([region, city], [2, 1]).locate_many(lats, lons)[0]) == {2}
