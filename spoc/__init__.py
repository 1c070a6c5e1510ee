"""Business areas, their single points of contact (SPOCs) and deputies, referral counts, and the
Prevent Lead's user administration (accounts with their roles and areas)."""


def register(app, parts) -> None:
    """Pages, navigation, home-page panels and the demo areas (see core/registry.py)."""
    from core.registry import HomePanel, NavItem
    from spoc import demo, home, users, views

    app.register_blueprint(views.bp)
    app.register_blueprint(users.bp)
    parts.navigation += [
        NavItem("Business areas", "spoc.list_areas", "view_partnership", ("spoc.",), order=60),
        NavItem("Users", "users.list_users", "manage_users", ("users.",), order=70),
    ]
    parts.home_panels += [
        HomePanel("spoc/panel_my_areas.html", home.my_areas_panel, order=20),
        HomePanel("spoc/panel_partnership.html", home.partnership_panel, order=30),
    ]
    parts.demo_loaders += [demo.load_areas, lambda d: demo.load_referrals(areas=d.areas)]
