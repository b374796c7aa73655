"""Map layers every Kuzet map shares: district fills under the streets, the streets by class, district outlines on top."""

from __future__ import annotations

from typing import Any

# Roads by class: avenues bold and light, through streets thinner, the rest faint and only when zoomed in.
ROAD_STYLE: dict[str, dict[str, Any]] = {
    "roads-3": {"color": "#27344b", "line": {"width": 0.8}, "minzoom": 12.5},
    "roads-2": {"color": "#34476a", "line": {"width": 1.6}, "minzoom": 10.5},
    "roads-1": {"color": "#50658f", "line": {"width": 3.0}},
}


def road_layers(city: str) -> list[dict[str, Any]]:
    """The city's streets as map layers fetched from Kuzet itself (/basemap/<city>/...), minor ones first."""
    return [{"source": f"/basemap/{city}/{key}.json", "sourcetype": "geojson", "type": "line", "below": "traces",
             **style} for key, style in ROAD_STYLE.items()]


def place_layer(city: str) -> dict[str, Any]:
    """Named places (police, schools, hospitals, stations) as small dots when zoomed in; names come from basemap.js."""
    return {"source": f"/basemap/{city}/places.json", "sourcetype": "geojson", "type": "circle", "below": "traces",
            "color": "#6f7f99", "opacity": 0.8, "circle": {"radius": 3}, "minzoom": 14}


def map_layers(districts: list[dict[str, Any]], city: str | None) -> list[dict[str, Any]]:
    """District fills, then the streets and places, then the district outlines above them (own bright, others dim)."""
    fills, lines = [], []
    for d in districts:
        own = d.get("own", True)
        feature = {"type": "Feature", "geometry": d["geometry"], "properties": {"name": d["name"]}}
        fills.append({"source": feature, "sourcetype": "geojson", "type": "fill", "below": "traces",
                      "color": "#152038" if own else "#10151f", "opacity": 0.9 if own else 0.6})
        lines.append({"source": feature, "sourcetype": "geojson", "type": "line", "below": "traces",
                      "color": "#4d8dff" if own else "#2c3445", "line": {"width": 3 if own else 1}})
    streets = [*road_layers(city), place_layer(city)] if city else []
    return [*fills, *streets, *lines]


def maplibre_style(layers: list[dict[str, Any]], background: str = "#0b0f17") -> dict[str, Any]:
    """The same layers as a MapLibre style (for a map drawn without Plotly): one source and one layer each.

    URL sources stay relative; the browser resolves them against the page before MapLibre fetches them.
    """
    sources: dict[str, Any] = {}
    style_layers: list[dict[str, Any]] = [{"id": "background", "type": "background",
                                           "paint": {"background-color": background}}]
    for n, layer in enumerate(layers):
        key = f"kz-base-{n}"
        sources[key] = {"type": "geojson", "data": layer["source"]}
        kind = layer["type"]
        paint: dict[str, Any] = {f"{kind}-color": layer["color"]}
        if "opacity" in layer:
            paint[f"{kind}-opacity"] = layer["opacity"]
        if kind == "line":
            paint["line-width"] = layer.get("line", {}).get("width", 1)
        if kind == "circle":
            paint["circle-radius"] = layer.get("circle", {}).get("radius", 3)
        style_layers.append({"id": key, "type": kind, "source": key, "paint": paint,
                             **({"minzoom": layer["minzoom"]} if "minzoom" in layer else {})})
    return {"version": 8, "sources": sources, "layers": style_layers}
