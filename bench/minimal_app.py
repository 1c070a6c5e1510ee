"""The smallest Flask page, served by gunicorn beside the app to compare requests per second."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def home() -> str:
    return "<!doctype html><title>Minimal</title><p>Hello</p>"
