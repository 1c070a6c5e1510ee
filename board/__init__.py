"""The quarterly partnership board: meetings, agendas, minutes, actions, membership review, pack, calendar."""


def register(app, parts) -> None:
    """Pages, the `flask board` commands, navigation, the board's reminders and the demo meetings."""
    from board import cli, demo, home, reminders, services, views
    from core.registry import HomePanel, NavItem

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.board_cli)
    parts.last_review_before = services.last_meeting_before
    parts.navigation.append(NavItem("Board", "board.overview", "view_board", ("board.",), order=30))
    parts.home_panels += [
        HomePanel("board/panel_next_board.html", home.next_board_panel, order=1),
        HomePanel("board/panel_board_papers.html", home.board_papers_panel, order=1),
    ]
    parts.reminder_rules += [
        reminders.plan_update_reminders,
        reminders.board_action_reminders,
        reminders.membership_review_reminders,
    ]
    parts.demo_loaders.append(
        lambda d: demo.load_board(
            partnership=d.partnership, organisations=d.organisations, users=d.users, today=d.today
        )
    )
