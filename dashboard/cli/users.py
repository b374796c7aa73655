"""kuzet users: the people who log in."""

from __future__ import annotations

import click

from dashboard.cli.common import db_option, open_store
from services.i18n import speaking


@click.group()
def users() -> None:
    """People who log in."""


@users.command("add")
@db_option
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (one line) instead of asking for it twice.")
@click.option("--role", required=True, type=click.Choice(["duty_officer", "supervisor", "chief", "trainer", "admin",
                                                          "operator"]))
@click.option("--department", default=None, help="Department id or code (see `kuzet departments list`).")
@click.option("--operator", "operator_name", default=None, help="For --role operator: the operator's name.")
def users_add(database_url: str, username: str, password_stdin: bool, role: str, department: str | None,
              operator_name: str | None) -> None:
    """Add a user with an argon2-hashed password (asked for, never on the command line where ps shows it)."""
    from services.access.users import add_user

    if password_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with speaking("en"), open_store(database_url).session() as session:
            user = add_user(session, "cli", username, password, role, department, operator_name=operator_name)
            click.echo(f"user {user.username} ({user.role}) created with id {user.id}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("grant")
@db_option
@click.argument("username")
@click.option("--department", "departments", required=True, multiple=True,
              help="Department id or code; repeatable.")
@click.option("--revoke", is_flag=True, help="Take the departments away again.")
def users_grant(database_url: str, username: str, departments: tuple[str, ...], revoke: bool) -> None:
    """Open departments' replays and incident archive to a trainer (beyond their own department)."""
    from services.access.users import grant_department

    try:
        with speaking("en"), open_store(database_url).session() as session:
            for key in departments:
                changed = grant_department(session, "cli", username, key, revoke=revoke)
                verb = ("revoked" if revoke else "granted") if changed else ("was not granted" if revoke else
                                                                               "already granted")
                click.echo(f"{username}: department {key} {verb}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("disable")
@db_option
@click.argument("username")
def users_disable(database_url: str, username: str) -> None:
    """Disable an account: no new login, and every session and token it holds ends now."""
    from services.access.sessions import disable_user

    try:
        with speaking("en"), open_store(database_url).session() as session:
            ended = disable_user(session, "cli", username)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username} disabled; {len(ended)} sessions and tokens ended")


@users.command("enable")
@db_option
@click.argument("username")
def users_enable(database_url: str, username: str) -> None:
    """Let a disabled account log in again."""
    from services.access.sessions import enable_user

    try:
        with speaking("en"), open_store(database_url).session() as session:
            changed = enable_user(session, "cli", username)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username} enabled" if changed else f"{username} was not disabled")


@users.command("reset-password")
@db_option
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Read the new password from standard input (one line) instead of asking for it twice.")
def users_reset_password(database_url: str, username: str, password_stdin: bool) -> None:
    """Give a user a new password (the rules of a new one) and end every login they hold."""
    from services.access.users import reset_password

    if password_stdin:
        password = click.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        with speaking("en"), open_store(database_url).session() as session:
            ended = reset_password(session, "cli", username, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username}: password changed; {len(ended)} sessions and tokens ended")


@users.command("reset-2fa")
@db_option
@click.argument("username")
def users_reset_second_factor(database_url: str, username: str) -> None:
    """After a lost phone: remove the user's authenticator and recovery codes and end their logins; the next login enrols."""
    from services.access.second_factor import reset

    try:
        with open_store(database_url).session() as session:
            ended = reset(session, "cli", username)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username}: second factor removed, {len(ended)} sessions and tokens ended; the next login enrols again")
