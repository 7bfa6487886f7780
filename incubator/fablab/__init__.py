"""Fablab: labs and their machines, training certificates, bookings that never overlap."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
