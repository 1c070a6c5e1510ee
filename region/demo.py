"""The demo's regional coordinator is granted the demo partnership, so the regional page shows it;
with a second demo partnership (`flask demo-data --partnerships 2`) the first's coordinator is
granted both, and the second's its own."""

from core.registry import DemoContext
from region import services

#: Made by partnership/demo.py (PEOPLE) with the regional coordinator's role.
DEMO_COORDINATOR = "priya.raman@region.example"


def load_region(demo: DemoContext) -> None:
    services.grant(demo.users[DEMO_COORDINATOR], demo.partnership.id)
    if demo.variant > 1:
        services.grant(services.account_by_email(DEMO_COORDINATOR), demo.partnership.id)
