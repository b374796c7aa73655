"""Boundary imports, jurisdiction re-resolution and the `kuzet geodata` commands."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dashboard.cli import main
from services.geo.boundaries import import_boundaries
from services.store.models import Camera, Department, District
from services.access.operators import create_operator
from services.geo.routing import Router
from services.store.engine import Store

SHARED = Path(__file__).resolve().parents[1] / "fixtures" / "geodata"
ASTANA_NOW = SHARED / "astana_districts.geojson"
ASTANA_BEFORE_2024 = SHARED / "astana_districts_5_before_2024.geojson"
# The two Astana files name districts differently; map the new one onto the old English names.
NEW_TO_OLD = {"Есиль": "Esil district", "Алматы": "Almaty District", "Сарыарка": "Sarıarqa district",
              "Байконур": "Bayqoñır district", "Нура": "Nura district", "Сарайшык": "Sarayshyk district"}


def _astana_now_with_english_names(tmp_path: Path) -> Path:
    data = json.loads(ASTANA_NOW.read_text())
    for feature in data["features"]:
        feature["properties"] = {"name_en": NEW_TO_OLD[feature["properties"]["name"]]}
    path = tmp_path / "astana_now.geojson"
    path.write_text(json.dumps(data))
    return path


def test_import_creates_districts_and_departments_under_a_city_department(db: Store) -> None:
    with db.session() as s:
        report = import_boundaries(s, ASTANA_NOW, "name", "astana")
        assert (report.districts_created, report.departments_created) == (6, 6)
        city = s.scalar(sa.select(Department).where(Department.code == "astana-city"))
        children = s.scalars(sa.select(Department).where(Department.parent_id == city.id)).all()
        assert len(children) == 6
        areas = {d.name: d.area_km2 for d in s.scalars(sa.select(District))}
    assert 150 < areas["Есиль"] < 400
    with db.session() as s:
        again = import_boundaries(s, ASTANA_NOW, "name", "astana")
    assert (again.districts_created, again.districts_updated, again.departments_created) == (0, 6, 0)


def test_boundary_change_moves_cameras_and_reports_it(db: Store, tmp_path: Path) -> None:
    with db.session() as s:
        import_boundaries(s, ASTANA_BEFORE_2024, "name_en", "astana")
        operator = create_operator(s, "Op")
        router = Router.from_session(s)
        # Sample points across the new Sarayshyk district: they belonged to other districts before 2024.
        sarayshyk = gpd.read_file(ASTANA_NOW).set_index("name").geometry["Сарайшык"]
        points = sarayshyk.representative_point(), sarayshyk.centroid
        esil = gpd.read_file(ASTANA_NOW).set_index("name").geometry["Есиль"].representative_point()
        for n, p in enumerate([*points, esil]):
            where = router.resolve(p.y, p.x)
            s.add(Camera(operator_id=operator.id, external_id=f"C{n}", lat=p.y, lon=p.x,
                         department_id=where.department_id, district_id=where.district_id))
    with db.session() as s:
        report = import_boundaries(s, _astana_now_with_english_names(tmp_path), "name_en", "astana")
        assert (report.districts_created, report.districts_updated, report.districts_removed) == (1, 5, 0)
        assert report.cameras_checked == 3
        moved_to = {c.external_id: s.get(District, c.district_id).name for c in s.scalars(sa.select(Camera))}
    assert report.cameras_moved >= 1
    assert moved_to["C2"] == "Esil district"
    assert "Sarayshyk district" in {moved_to["C0"], moved_to["C1"]}


def test_invalid_geometry_is_repaired_and_unrepairable_refused(db: Store, tmp_path: Path) -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[71.40, 51.10], [71.50, 51.20], [71.50, 51.10], [71.40, 51.20],
                                                    [71.40, 51.10]]]}
    path = tmp_path / "bowtie.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Bow"}, "geometry": bow_tie}]}))
    with db.session() as s:
        import_boundaries(s, path, "name", "testcity")
        stored = s.scalar(sa.select(District).where(District.name == "Bow"))
        assert stored.geometry["type"] in ("Polygon", "MultiPolygon") and stored.area_km2 > 1
    line = tmp_path / "line.geojson"
    line.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Line"},
         "geometry": {"type": "LineString", "coordinates": [[71.4, 51.1], [71.5, 51.2]]}}]}))
    with db.session() as s, pytest.raises(ValueError, match="not a polygon"):
        import_boundaries(s, line, "name", "testcity")


def test_projected_files_are_reprojected_to_wgs84(db: Store, tmp_path: Path) -> None:
    frame = gpd.read_file(ASTANA_NOW)[["name", "geometry"]].to_crs("EPSG:32642")  # UTM 42N, metres
    path = tmp_path / "astana_utm.gpkg"
    frame.to_file(path, driver="GPKG")
    with db.session() as s:
        import_boundaries(s, path, "name", "astana")
        district = s.scalar(sa.select(District).where(District.name == "Нура"))
        lon, lat = district.geometry["coordinates"][0][0][0] if district.geometry["type"] == "MultiPolygon" \
            else district.geometry["coordinates"][0][0]
    assert 70 < lon < 73 and 50 < lat < 52


def test_missing_name_field_is_a_clear_error(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(main, ["geodata", "import", "--db", db_url, str(ASTANA_NOW), "--name-field", "district",
                                  "--city", "astana"])
    assert result.exit_code == 1
    assert "no column 'district'" in result.output and "'name'" in result.output
    missing = runner.invoke(main, ["geodata", "import", "--db", db_url, "/nonexistent.geojson", "--name-field", "x",
                                   "--city", "astana"])
    assert missing.exit_code != 0 and "Traceback" not in missing.output


def test_locate_prints_district_and_department_and_flags_nearest(runner: CliRunner, db_url: str) -> None:
    runner.invoke(main, ["seed", "--db", db_url])
    inside = runner.invoke(main, ["geodata", "locate", "--db", db_url, "43.2567", "76.9286"])
    assert inside.output.strip() == "Almaly\tАлмалинское РУП"
    # South of Almaty, over the border in Kyrgyzstan: outside every district of the country.
    outside = runner.invoke(main, ["geodata", "locate", "--db", db_url, "42.80", "76.95"])
    district, department, flag = outside.output.strip().split("\t")
    assert flag == "(nearest)" and department in ("Медеуское РУП", "Департамент полиции Алматинской области")


@pytest.mark.parametrize("lat, lon, district, department", [
    (51.1283, 71.4305, "Есиль", "УП района Есиль"),  # Astana, Baiterek tower
    (42.3155, 69.5869, "Al-Farabi", "УП Аль-Фарабийского района"),  # Shymkent centre
    (49.8047, 73.1094, "Karaganda Region", "Департамент полиции Карагандинской области"),  # Karaganda city
    (47.1167, 51.8833, "Atyrau Region", "Департамент полиции Атырауской области"),  # Atyrau city
    (43.2567, 76.9286, "Almaly", "Алмалинское РУП"),  # Almaty centre
])
def test_cameras_anywhere_in_the_country_reach_a_department_of_their_own_region(
        runner: CliRunner, db_url: str, lat: float, lon: float, district: str, department: str) -> None:
    runner.invoke(main, ["seed", "--db", db_url])
    located = runner.invoke(main, ["geodata", "locate", "--db", db_url, str(lat), str(lon)])
    assert located.output.strip() == f"{district}\t{department}"


def test_imported_city_districts_take_precedence_over_their_region(runner: CliRunner, db_url: str,
                                                                  tmp_path: Path) -> None:
    runner.invoke(main, ["seed", "--db", db_url])
    square = {"type": "Polygon", "coordinates": [[[73.05, 49.77], [73.17, 49.77], [73.17, 49.84], [73.05, 49.84],
                                                  [73.05, 49.77]]]}
    file = tmp_path / "karaganda.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square, "properties": {"name": "Kazybek bi"}}]}))
    imported = runner.invoke(main, ["geodata", "import", "--db", db_url, str(file), "--name-field", "name",
                                    "--city", "karaganda"])
    assert imported.exit_code == 0, imported.output
    inside = runner.invoke(main, ["geodata", "locate", "--db", db_url, "49.8047", "73.1094"]).output.strip()
    assert inside.startswith("Kazybek bi\t")  # the city district, though the region's polygon holds it too
    rest = runner.invoke(main, ["geodata", "locate", "--db", db_url, "50.30", "72.90"]).output.strip()
    assert rest == "Karaganda Region\tДепартамент полиции Карагандинской области"


def _square_over_almaly(tmp_path: Path) -> Path:
    """One square for Almaty (a wrong file, say): it replaces the city's districts, and cameras follow it."""
    square = {"type": "Polygon", "coordinates": [[[76.85, 43.20], [77.00, 43.20], [77.00, 43.30], [76.85, 43.30],
                                                  [76.85, 43.20]]]}
    file = tmp_path / "newcity.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square, "properties": {"name": "Square"}}]}))
    return file


def test_the_preview_names_every_camera_that_would_move_and_changes_nothing(db: Store, tmp_path: Path) -> None:
    from services.geo.boundaries import preview_boundaries
    from services.store.models import Camera
    from tests.conftest import seed_world

    seed_world(db)
    with db.session() as s:
        before = dict(s.execute(sa.select(Camera.id, Camera.department_id)).all())
        districts = s.scalar(sa.select(sa.func.count(District.id)))
        almaty = sorted(s.scalars(sa.select(District.name).where(District.city == "almaty")))
        preview = preview_boundaries(s, _square_over_almaly(tmp_path), "name", "almaty")
    assert preview.districts_created == ["Square"] and preview.districts_removed == almaty
    assert preview.report.cameras_moved == len(preview.moves) > 0
    assert {m.to_department for m in preview.moves} == {"Square — районное управление полиции"}
    assert all(m.from_department.endswith("РУП") for m in preview.moves)
    with db.session() as s:  # nothing kept
        assert dict(s.execute(sa.select(Camera.id, Camera.department_id)).all()) == before
        assert s.scalar(sa.select(sa.func.count(District.id))) == districts


def test_the_cli_asks_before_cameras_change_department(runner: CliRunner, db_url: str, db: Store,
                                                       tmp_path: Path) -> None:
    from tests.conftest import seed_world

    seed_world(db)
    file = _square_over_almaly(tmp_path)
    args = ["geodata", "import", "--db", db_url, str(file), "--name-field", "name", "--city", "almaty"]
    dry = runner.invoke(main, args + ["--dry-run"])
    assert dry.exit_code == 0 and "dry run, nothing changed" in dry.output and "-> Square" in dry.output
    refused = runner.invoke(main, args, input="n\n")
    assert refused.exit_code != 0 and "cameras would change department" in refused.output
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count(District.id)).where(District.name == "Square")) == 0
    applied = runner.invoke(main, args + ["--yes"])
    assert applied.exit_code == 0, applied.output
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count(District.id)).where(District.name == "Square")) == 1
