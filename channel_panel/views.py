"""Pages for the Channel Panel (cases and reviews arrive with the Channel issue)."""

from flask import Blueprint

bp = Blueprint("channel_panel", __name__, url_prefix="/channel")
