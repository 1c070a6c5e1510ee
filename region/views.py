"""The regional page and pack: roll-ups of the partnerships granted to the reader only."""

import io

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from core import clock
from core.pdf import PdfError
from core.permissions import Permission, requires
from core.security import allow_inline_styles
from plans.rules import stale_since
from region import charts, pack, services
from region.rollups import regional_rollup
from region.tables import RAG_COLUMNS, measure_tables

bp = Blueprint("region", __name__, url_prefix="/region")


def _rollup():
    return regional_rollup(services.partnership_ids_granted(current_user.id), today=clock.today())


@bp.route("")
@requires(Permission.VIEW_REGION)
def show_region():
    rollup = _rollup()
    if rollup.partnerships:
        allow_inline_styles()  # plotly.js styles the charts as it draws them
    return render_template(
        "region/show.html",
        rollup=rollup,
        figures=charts.page_figures(rollup) if rollup.partnerships else {},
        tables=measure_tables(rollup),
        stale_since=stale_since(rollup.today),
        rag_columns=RAG_COLUMNS,
    )


@bp.route("/pack.pdf")
@requires(Permission.VIEW_REGION)
def download_pack():
    rollup = _rollup()
    try:
        data = pack.render(rollup)
    except PdfError:
        flash(
            "The regional pack could not be produced just now. Try again; if it keeps failing, tell your administrator."
        )
        return redirect(url_for("region.show_region"))
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"regional-roll-up-{rollup.today.isoformat()}.pdf",
    )
