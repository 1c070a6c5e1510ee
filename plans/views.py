"""Pages for delivery plans (rows, progress, evidence and RAG arrive with the plans issue)."""

from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")
