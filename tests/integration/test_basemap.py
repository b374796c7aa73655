"""The street map: import from OSM (through GDAL) or GeoJSON, served by Kuzet itself, offered to the 102 form."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from dashboard.cli import main
from services.geo import basemap
from tests.conftest import World, login

# A current extract in OSM's own XML (GDAL's OSM driver reads .osm as it reads .osm.pbf): one avenue of
# two ways, one side street, one footway (not a road a car takes), a police station, an unnamed bench and an
# addressed entrance.
OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="kuzet-test">
  <node id="1" lat="43.2400" lon="76.9000"/><node id="2" lat="43.2405" lon="76.9100"/>
  <node id="3" lat="43.2410" lon="76.9200"/><node id="4" lat="43.2500" lon="76.9100"/>
  <node id="5" lat="43.2450" lon="76.9050"/><node id="6" lat="43.2460" lon="76.9060"/>
  <node id="7" lat="43.2430" lon="76.9150"><tag k="amenity" v="police"/><tag k="name" v="Алмалинское РУП"/></node>
  <node id="8" lat="43.2431" lon="76.9151"><tag k="amenity" v="bench"/></node>
  <node id="9" lat="43.2502" lon="76.9101"><tag k="addr:street" v="ул. Жамбыла"/><tag k="addr:housenumber" v="114"/></node>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="name" v="Назарбаев даңғылы"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="name" v="Назарбаев даңғылы"/></way>
  <way id="12"><nd ref="2"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="name" v="ул. Жамбыла"/></way>
  <way id="13"><nd ref="5"/><nd ref="6"/><tag k="highway" v="footway"/><tag k="name" v="аллея"/></way>
</osm>
"""


def test_the_shipped_map_is_seeded_with_its_date_and_names(app: Flask, world: World) -> None:
    with app.extensions["kuzet"].store.session() as session:
        assert basemap.attribution(session, "almaty").endswith("выгрузка 2012")
        names = basemap.street_names(session, "almaty")
        roads = json.loads(basemap.layer(session, "almaty", "roads-1").data)
    assert {"Абая прс.", "пр. Райымбека"} <= set(names)
    assert len(roads["features"]) > 400 and roads["features"][0]["geometry"]["type"] == "LineString"


def test_an_osm_extract_replaces_the_city_map(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    extract = tmp_path / "almaty-2026.osm"
    extract.write_text(OSM, encoding="utf-8")
    assert runner.invoke(main, ["seed", "--db", db_url]).exit_code == 0
    done = runner.invoke(main, ["basemap", "import", str(extract), "--city", "almaty", "--date", "2026-11-30",
                                "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "3 roads (3 named), 1 places, 1 addresses" in done.output  # the footway and the nameless bench are out
    from services.store.engine import Store

    with Store(db_url).session() as session:
        assert basemap.attribution(session, "almaty").endswith("выгрузка 2026-11-30")
        assert basemap.street_names(session, "almaty") == ["Алмалинское РУП", "Назарбаев даңғылы", "ул. Жамбыла",
                                                           "ул. Жамбыла, 114"]
        assert basemap.locate(session, "almaty", "ул.Жамбыла,114") == (43.2502, 76.9101)
        assert basemap.locate(session, "almaty", "ул. Жамбыла") is None  # a street has no one point
        avenue = json.loads(basemap.layer(session, "almaty", "labels").data)
    assert {label["n"] for label in avenue} == {"Назарбаев даңғылы"}  # the two ways merged into one labelled line


def test_a_bad_extract_is_refused_plainly_and_replaces_nothing(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(main, ["seed", "--db", db_url]).exit_code == 0
    broken, empty = tmp_path / "broken.geojson", tmp_path / "empty.geojson"
    broken.write_text("{not json", encoding="utf-8")
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    odd = tmp_path / "odd.geojson"
    odd.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": ["not", "a", "dict"], "geometry": {"type": "LineString", "coordinates": [[76.9, 43.2]]}},
        {"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Point", "coordinates": []}},
        {"type": "Feature", "properties": {"highway": "primary"}, "geometry": {"type": "LineString", "coordinates": [[1, 2]]}},
    ]}), encoding="utf-8")
    cases = [([str(odd), "--date", "2026-11-30"], "no roads"),
             ([str(broken), "--date", "2026-11-30"], "not GeoJSON"),
             ([str(empty), "--date", "2026-11-30"], "no roads"),
             ([str(tmp_path / "missing.osm.pbf"), "--date", "2026-11-30"], "no such file"),
             ([str(empty), "--date", "yesterday"], "YYYY"),
             ([str(empty), "--date", "2999-01-01"], "future")]
    for args, said in cases:
        refused = runner.invoke(main, ["basemap", "import", *args, "--city", "almaty", "--db", db_url])
        assert refused.exit_code == 1 and said in refused.output, (args, refused.output)
        assert "Traceback" not in refused.output
    from services.store.engine import Store

    with Store(db_url).session() as session:
        assert basemap.attribution(session, "almaty").endswith("выгрузка 2012"), "the shipped map is kept"


def test_layers_are_served_behind_the_login_cached_and_compressed(app: Flask, client: FlaskClient,
                                                                  world: World) -> None:
    outside = client.get("/basemap/almaty/roads-1.json")
    assert outside.status_code == 302 and "/login" in outside.headers["Location"]  # nothing behind the login
    assert login(client, "duty.a").status_code == 302
    first = client.get("/basemap/almaty/roads-1.json", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(first.data))["type"] == "FeatureCollection"
    again = client.get("/basemap/almaty/roads-1.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    for wrong in ("/basemap/almaty/secrets.json", "/basemap/atlantis/roads-1.json", "/basemap/almaty/../x.json"):
        assert client.get(wrong).status_code == 404, wrong


def test_a_102_call_at_an_address_or_place_of_the_map_needs_no_click(app: Flask, client: FlaskClient,
                                                                     world: World) -> None:
    """The shipped map's addressed buildings and places place a call; a bare street asks for a number or a click."""
    login(client, "duty.a")
    for typed, where in (("пр. Достык, 125", (43.214291, 76.963689)), ("пр.Достык 125", (43.214291, 76.963689))):
        made = client.post("/api/v1/incidents", json={"type": "fight", "address": typed})
        assert made.status_code == 201, made.get_data(as_text=True)
        assert (made.get_json()["lat"], made.get_json()["lon"]) == where
    bare = client.post("/api/v1/incidents", json={"type": "fight", "address": "пр. Райымбека"},
                       headers={"Accept-Language": "en"})
    assert bare.status_code in (400, 422) and "house number" in bare.get_json()["detail"]
