"""Department scoping: which departments a user may see, on every path."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.models import Department, Role, User


class OutOfScope(Exception):
    """The user asked for something outside their departments."""


def visible_departments(session: so.Session, user: User) -> set[int]:
    """Department ids the user may see: own, or the whole city for chiefs, all for admins."""
    if user.role == Role.ADMIN.value:
        return set(session.scalars(sa.select(Department.id)))
    if user.department_id is None:
        return set()
    if user.role == Role.CHIEF.value:
        city = session.scalar(sa.select(Department.city).where(Department.id == user.department_id))
        return set(session.scalars(sa.select(Department.id).where(Department.city == city)))
    return {user.department_id}


def require_department(session: so.Session, user: User, department_id: int) -> None:
    """Raise OutOfScope unless the user may see the department."""
    if department_id not in visible_departments(session, user):
        raise OutOfScope("this department is outside your jurisdiction")
