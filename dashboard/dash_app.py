"""Mount Dash on the Flask app and register each page and its callbacks."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_mantine_components as dmc
from flask import Flask

from dashboard.callbacks import admin, archive, cameras, coverage, incident, replay, stats, wall

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def init_app(server: Flask) -> dash.Dash:
    """Create the Dash app on ``server`` with the Kuzet pages."""
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title="Kuzet",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    dash.register_page("wall", path="/wall", title="Kuzet — пульт", layout=wall.page)
    app.layout = dmc.MantineProvider(forceColorScheme="dark", children=[dash.page_container])
    dash.register_page("coverage", path="/coverage", title="Kuzet — покрытие", layout=coverage.page)
    dash.register_page("stats", path="/stats", title="Kuzet — статистика смены", layout=stats.page)
    dash.register_page("replay", path="/replay", title="Kuzet — разбор", layout=replay.page)
    dash.register_page("archive", path="/incidents", title="Kuzet — архив происшествий", layout=archive.page)
    dash.register_page("incident", path_template="/incidents/<incident_id>", title="Kuzet — происшествие",
                       layout=incident.page)
    dash.register_page("admin-dead-letters", path="/admin/dead-letters", title="Kuzet — отклонённые",
                       layout=admin.page)
    dash.register_page("cameras", path="/cameras", title="Kuzet — камеры", layout=cameras.cameras_page)
    dash.register_page("operators", path="/operators", title="Kuzet — операторы", layout=cameras.operators_page)
    wall.register(app)
    cameras.register(app)
    admin.register(app)
    incident.register(app)
    coverage.register(app)
    stats.register(app)
    replay.register(app)
    archive.register(app)
    server.extensions["dash"] = app
    return app
