"""The partnership and its member organisations: the floor every domain stands on."""


def register(app, parts) -> None:
    """Pages, navigation and the demo partnership (see core/registry.py)."""
    from core.registry import NavItem
    from partnership import cli, demo, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.partnership_cli)
    parts.navigation.append(
        NavItem("Organisations", "partnership.list_organisations", "view_partnership", ("partnership.",), order=10)
    )
    parts.demo_loaders.append(demo.load_partnership)
    parts.demo_logins.extend(demo.DEMO_LOGINS)
    parts.demo_second_places.update(demo.SECOND_PLACES)
