"""Dash callbacks, one module per page, each with ``register(app)``."""
