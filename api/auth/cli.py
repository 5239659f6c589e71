import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.auth import services
from api.auth.models import MIN_PASSWORD_LENGTH, ROLES, User
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


@users_cli.command("set-password")
@click.argument("username")
@click.password_option()
def set_password_command(username, password):
    """Reset an account's password; every sign-in of the account ends."""
    set_actor(None, SYSTEM)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"no user {username}", param_hint="USERNAME")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    ended = services.set_password(user, password)
    session.commit()
    click.echo(f"password of {user.username} changed; {ended} sign-in(s) ended")
