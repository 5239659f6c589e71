import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.auth import services
from api.auth.models import ROLES
from api.db import session

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--area-code", required=True, help="Statutory code of the user's area.")
@click.password_option()
def create_user_command(username, display_name, role, area_code, password):
    """Create an account."""
    set_actor(None, SYSTEM)
    area = session.scalar(select(Area).where(Area.code == area_code))
    if area is None:
        raise click.BadParameter(f"no area with code {area_code}", param_hint="--area-code")
    user = services.create_user(username, display_name, role, area.id, password)
    session.commit()
    click.echo(f"created user {user.username} (id {user.id})")
