"""Annual compliance: the self-assessment, automatic checks, findings, sign-off and the report."""


def register(app, parts) -> None:
    """Pages, the `flask compliance` commands, navigation, the findings notice and the demo year."""
    from compliance import cli, demo, home, views
    from core.registry import HomePanel, NavItem

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.compliance_cli)
    parts.navigation.append(NavItem("Compliance", "compliance.index", "view_compliance", ("compliance.",), order=90))
    parts.home_panels += [
        HomePanel("compliance/panel_auditor.html", home.auditor_panel, order=1),
        HomePanel("compliance/panel_findings.html", home.findings_panel, order=10),
    ]
    parts.demo_loaders.append(lambda d: demo.load_compliance(partnership=d.partnership, users=d.users, today=d.today))
