from __future__ import annotations

import importlib

import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.auth.services import create_user
from api.db import session
from api.demo.areas import COUNTY, seed_areas

demo_cli = AppGroup("demo", help="Demo data.")

DEMO_PASSWORD = "demo-pass"  # noqa: S105  (documented demo accounts)
# Each domain adds ``seed(context)`` in one of these modules; they run in this order, in
# one transaction. The follow-up rules run last, over what the others seeded.
DOMAIN_SEEDERS = (
    "api.visits.demo",
    "api.rescue.patrols.demo",
    "api.rescue.centre.demo",
    "api.casework.tracing.demo",
    "api.casework.leads.demo",
    "api.matching.demo",
    "api.casework.tasks.demo",
)


def seed_demo() -> bool:
    """Build the demo county once; False if it is there already."""
    set_actor(None, SYSTEM)
    if session.scalar(select(Area.id).where(Area.code == COUNTY[0])):
        return False
    areas = seed_areas()
    users = {
        "demo-admin": create_user(
            "demo-admin", "演示管理员", "admin", areas.county.id, DEMO_PASSWORD
        ),
        "demo-supervisor": create_user(
            "demo-supervisor", "县民政局督导", "supervisor", areas.county.id, DEMO_PASSWORD
        ),
        "demo-worker": create_user(
            "demo-worker", "龙仙镇社工", "outreach_worker", areas.towns["龙仙镇"].id, DEMO_PASSWORD
        ),
        "demo-worker2": create_user(
            "demo-worker2", "江尾镇社工", "outreach_worker", areas.towns["江尾镇"].id, DEMO_PASSWORD
        ),
        "demo-rescue": create_user(
            "demo-rescue", "救助站工作人员", "rescue_staff", areas.county.id, DEMO_PASSWORD
        ),
    }
    context = {"areas": areas, "users": users}
    for module_name in DOMAIN_SEEDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.seed(context)
    session.flush()
    return True


@demo_cli.command("seed")
def seed_command() -> None:
    """Seed Wengyuan county with demo accounts and records (once)."""
    if seed_demo():
        session.commit()
        click.echo(
            "demo data seeded; accounts demo-admin, demo-supervisor, demo-worker, "
            f"demo-worker2, demo-rescue, password {DEMO_PASSWORD}"
        )
    else:
        click.echo("demo data already present")
