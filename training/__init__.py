"""WRAP training: courses, people, sessions, completions, headcounts and coverage against the target."""


def register(app, parts) -> None:
    """Pages, the `flask training` commands, navigation, the home panel, the refresher reminder,
    the leavers' retention schedule and the demo register."""
    from core.registry import HomePanel, NavItem
    from training import cli, demo, home, reminders, retention, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.training_cli)
    parts.navigation.append(NavItem("Training", "training.show_coverage", "view_training", ("training.",), order=50))
    parts.home_panels.append(HomePanel("training/panel_coverage.html", home.training_panel, order=1))
    parts.reminder_rules.append(reminders.training_refresher_reminders)
    parts.retention_schedules.append(retention.SCHEDULE)
    parts.demo_loaders.append(lambda d: demo.load_training(organisations=d.organisations, today=d.today))
