"""The demo's regional coordinator is granted the demo partnership, so the regional page shows it.
With a second demo partnership (`flask demo-data --partnerships 2`, for trying how partnerships
are kept apart) each partnership's coordinator is granted its own only: `flask region grant
priya.raman@region.example --partnership 2` shows both on one page."""

from core.registry import DemoContext
from region import services

#: Made by partnership/demo.py (PEOPLE) with the regional coordinator's role.
DEMO_COORDINATOR = "priya.raman@region.example"


def load_region(demo: DemoContext) -> None:
    services.grant(demo.users[DEMO_COORDINATOR], demo.partnership.id)
