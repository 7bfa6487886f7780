"""The bare Flask app that bench/load.py serves as the baseline: one route, no database."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
