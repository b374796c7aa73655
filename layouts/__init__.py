"""Pure layout builders: data in, Dash components out; no callbacks, no database."""
