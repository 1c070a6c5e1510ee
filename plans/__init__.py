"""Delivery plans: each business area's SPOC action plan and the county delivery plan, their rows,
progress history, evidence, flags, imports and exports."""


def register(app, parts) -> None:
    """Pages, the `flask plans` commands, navigation and the demo plans (see core/registry.py)."""
    from core.registry import NavItem
    from plans import cli, demo, transfer_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(transfer_views.bp)
    app.cli.add_command(cli.plans_cli)
    parts.navigation.append(NavItem("Plans", "plans.overview", "view_plans", ("plans.", "plans_transfer."), order=20))
    parts.demo_loaders.append(lambda d: demo.load_plans(areas=d.areas, users=d.users))
