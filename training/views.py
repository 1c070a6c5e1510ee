"""Pages for training coverage (records, imports and coverage arrive with the training issue)."""

from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")
