"""The application factory."""

import logging
import os
from pathlib import Path

from flask import Flask, abort, send_file
from flask.templating import Environment as FlaskEnvironment
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config as config_module
from core import auth, clock, errors, limits, registry, security, sso, transactions
from core.extensions import csrf, db, login_manager, migrate
from core.permissions import public
from core.storage import init_storage

ROOT = Path(__file__).resolve().parent.parent
#: The largest id any table can hold (PostgreSQL's integer; SQLite's are wider).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number past what an id column holds is no record (404),
    never a database error (PostgreSQL's "out of range", SQLite's OverflowError)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


GOVUK_DIST = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def _vendor_files() -> dict[str, Path]:
    """Third-party browser files served from installed packages, never a CDN."""
    import plotly

    return {
        "govuk-frontend.min.js": GOVUK_DIST / "govuk-frontend.min.js",
        "plotly.min.js": Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
    }


class TemplateEnvironment(FlaskEnvironment):
    """Jinja's environment with each template's globals as a plain dict.

    Jinja gives a template a ChainMap over the environment's globals, and every ``{% from ...
    import ... %}`` (the GOV.UK macros import each other: about 40 imports on a signed-in page)
    compares the page's globals with the imported template's, which on a ChainMap runs in Python
    key by key: about 1 ms of a 6 ms page. A dict snapshot, taken when the template is loaded,
    compares in C. Every global is set while the app is built, before any template is loaded.
    """

    def make_globals(self, d):
        return dict(super().make_globals(d))


class App(Flask):
    jinja_environment = TemplateEnvironment


def create_app(config: str | type | None = None, **overrides) -> Flask:
    """Build the app. ``config`` is a name from config.CONFIGS (default: $APP_ENV)."""
    if config is None or isinstance(config, str):
        name = config or os.environ.get("APP_ENV", "development")
        config = config_module.CONFIGS[name]
    app = App(
        __name__,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config)
    app.config.update(overrides)
    app.url_map.converters["int"] = IdConverter
    if app.config.get("TRUSTED_PROXIES"):
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set (see README, Configuration)")
    # A fixed date in production would put every due date wrong; ALLOW_FIXED_CLOCK is for the
    # tests that check the production settings themselves.
    if clock.is_fixed() and config is config_module.CONFIGS["production"] and not app.config.get("ALLOW_FIXED_CLOCK"):
        raise RuntimeError(f"{clock.FIXED_DAY_ENV} fixes the date for tests and demonstrations; unset it in production")
    Path(app.instance_path).mkdir(exist_ok=True)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    register_extensions(app)
    init_storage(app)
    register_template_helpers(app)
    register_blueprints(app)
    register_asset_routes(app)
    errors.register(app)
    security.register(app)
    transactions.register(app)  # registered last, so it runs first when a response is ready
    register_commands(app)
    logging.basicConfig(level=logging.INFO)
    for noisy in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return app


def register_extensions(app: Flask) -> None:
    # The access guard runs before CSRF checking, so a refused user gets 403 whatever they send.
    auth.register(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    WTFormsHelpers(app)


def register_template_helpers(app: Flask) -> None:
    from flask import request
    from flask_login import current_user

    from core.permissions import Permission, has_permission
    from core.vocab import Rag

    def can(permission: str) -> bool:
        return current_user.is_authenticated and has_permission(current_user, Permission(permission))

    def navigation() -> list[dict]:
        """The service navigation for the signed-in user's roles."""
        if not current_user.is_authenticated:
            return []
        endpoint = request.endpoint or ""
        return [
            {"text": item.text, "href": url_for(item.endpoint), "active": endpoint.startswith(item.prefixes)}
            for item in registry.parts(app).navigation
            if can(item.permission)
        ]

    from flask import url_for

    app.jinja_env.globals.update(can=can, navigation=navigation, Rag=Rag, import_limits=limits.import_words())
    app.jinja_env.filters["datetime"] = lambda v: v.strftime("%-d %b %Y %H:%M") if v else ""
    app.jinja_env.filters["date"] = lambda v: v.strftime("%-d %B %Y") if v else ""


def register_blueprints(app: Flask) -> None:
    """The kernel's own pages, then each domain package's, lowest layer first (config PACKAGES)."""
    from core import audit_views, main, password_reset, reminder_views, twofactor_views  # noqa: F401 - their routes

    parts = app.extensions.setdefault(registry.EXTENSION, registry.Parts())
    app.register_blueprint(auth.bp)
    sso.register(app)
    main.register(app, parts)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(reminder_views.bp)
    parts.navigation += [
        registry.NavItem("Home", "main.home", "signed_in", ("main.",), order=0),
        registry.NavItem("Audit trail", "audit.list_entries", "view_audit", ("audit.",), order=80),
        registry.NavItem("Reminder log", "reminders.list_log", "view_reminder_log", ("reminders.list_log",), order=100),
    ]
    # The kernel's own retention schedules first; each domain adds its own in its register().
    from core import account_retention
    from core.importing import stash

    parts.retention_schedules += [stash.retention_schedule(), account_retention.SCHEDULE]
    registry.compose(app, app.config["PACKAGES"])


def register_asset_routes(app: Flask) -> None:
    # The static endpoint is public: CSS, our JS and images hold nothing sensitive.
    app.view_functions["static"].is_public = True
    assets_dir = GOVUK_DIST / "assets"
    vendor = _vendor_files()

    @app.route("/assets/<path:filename>", endpoint="govuk_assets")
    @public
    def govuk_assets(filename: str):
        from flask import send_from_directory

        return send_from_directory(assets_dir, filename, max_age=86400)

    @app.route("/vendor/<name>", endpoint="vendor")
    @public
    def vendor_file(name: str):
        path = vendor.get(name)
        if path is None or not path.exists():
            abort(404)
        return send_file(path, mimetype="text/javascript", max_age=86400)


def register_commands(app: Flask) -> None:
    from core.cli import register as register_core_commands

    register_core_commands(app)
