"""Centers: BIIC and SMIC, created by the first migration."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to register: centers are data that the other domains refer to."""
