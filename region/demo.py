"""The demo's regional coordinator is granted the demo partnership, so the regional page shows it."""

from core.registry import DemoContext
from region import services

#: Made by partnership/demo.py (PEOPLE) with the regional coordinator's role.
DEMO_COORDINATOR = "priya.raman@region.example"


def load_region(demo: DemoContext) -> None:
    services.grant(demo.users[DEMO_COORDINATOR], demo.partnership.id)
