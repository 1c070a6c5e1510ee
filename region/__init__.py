"""The regional view: roll-ups of the partnerships granted to a regional coordinator (plan rows by
RAG, overdue and stale rows, WRAP coverage, published Channel figures), never rows, people or cases."""


def register(app, parts) -> None:
    """The regional page and pack, the `flask region` commands, navigation for the regional role,
    its home-page panel and the demo's grant."""
    from core.registry import HomePanel, NavItem
    from region import cli, demo, home, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.region_cli)
    parts.navigation.append(NavItem("Region", "region.show_region", "view_region", ("region.",), order=5))
    parts.home_panels.append(HomePanel("region/panel_region.html", home.region_panel, order=1))
    parts.demo_loaders.append(demo.load_region)
