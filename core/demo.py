"""The demo partnership: the kernel runs the demo loaders the domain packages registered, in
order (partnership and people first, then business areas, plans, training, the Channel Panel,
the board and compliance), then adds a log of the reminders the rules find on that data.

The records themselves are the domains' (partnership/demo.py, spoc/demo.py, ...); every person
in them is fictional.
"""

from core import clock
from core.registry import DemoContext, parts

DEMO_PASSWORD = "Demo-Partnership-2026"  # noqa: S105 - printed for the demo on purpose  # nosec B105


def load_demo() -> None:
    """Add the demo partnership to an empty database (the caller commits)."""
    from core.reminders import load_demo_reminders

    demo = DemoContext(today=clock.today())
    for loader in parts().demo_loaders:
        loader(demo)
    load_demo_reminders(today=demo.today)
