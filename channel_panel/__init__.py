"""The Channel Panel: membership, meetings, pseudonymous cases, post-closure reviews, the anonymised
log and the figures the board sees."""


def register(app, parts) -> None:
    """Pages, the `flask channel` command, navigation, the home panel, the review reminders, the
    retention schedule for case material and the demo panel (see core/registry.py)."""
    from channel_panel import cli, demo, home, reminders, retention, views
    from core.registry import HomePanel, NavItem

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.channel_cli)
    parts.navigation.append(
        NavItem("Channel Panel", "channel_panel.home", "view_channel_figures", ("channel_panel.",), order=40)
    )
    parts.home_panels.append(HomePanel("channel_panel/panel_next_meeting.html", home.panel_meeting_panel, order=1))
    parts.reminder_rules += [reminders.post_closure_review_reminders, reminders.terms_review_reminders]
    parts.retention_schedules.append(retention.SCHEDULE)
    parts.demo_loaders.append(lambda d: demo.load_channel(organisations=d.organisations, users=d.users, today=d.today))
