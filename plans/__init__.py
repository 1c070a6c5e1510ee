"""Delivery plans: each business area's SPOC action plan and the county delivery plan, their rows,
progress history, evidence, flags, imports and exports."""


def register(app, parts) -> None:
    """Pages, the `flask plans` commands, navigation and the demo plans (see core/registry.py)."""
    from core.registry import HomePanel, NavItem
    from plans import cli, demo, home, transfer_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(transfer_views.bp)
    app.cli.add_command(cli.plans_cli)
    parts.navigation.append(NavItem("Plans", "plans.overview", "view_plans", ("plans.", "plans_transfer."), order=20))
    parts.home_panels += [
        HomePanel("plans/panel_rows_to_update.html", home.rows_to_update_panel, order=2),
        HomePanel("plans/panel_lead_plans.html", home.lead_plans_panel, order=4),
    ]
    parts.demo_loaders.append(lambda d: demo.load_plans(areas=d.areas, users=d.users))
