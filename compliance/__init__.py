"""Annual compliance: the self-assessment, automatic checks, findings, sign-off and the report."""


def register(app, parts) -> None:
    """Pages, the `flask compliance` commands, navigation, the findings notice and the demo year."""
    from compliance import cli, demo, views
    from core.registry import HomePanel, NavItem

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.compliance_cli)
    parts.navigation.append(NavItem("Compliance", "compliance.index", "view_compliance", ("compliance.",), order=90))
    parts.home_panels.append(HomePanel("compliance/panel_findings.html", _findings_panel, order=10))
    parts.demo_loaders.append(lambda d: demo.load_compliance(partnership=d.partnership, users=d.users, today=d.today))


def _findings_panel(user) -> dict | None:
    from compliance.services import findings_awaiting_response

    count = findings_awaiting_response(user.id)
    return {"count": count} if count else None
