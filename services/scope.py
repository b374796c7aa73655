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
        # The city police department's chief sees the whole city; a district chief, the district.
        department = session.get(Department, user.department_id)
        if department is not None and department.parent_id is None:
            return set(session.scalars(sa.select(Department.id).where(Department.city == department.city)))
    return {user.department_id}


def require_department(session: so.Session, user: User, department_id: int) -> None:
    """Raise OutOfScope unless the user may see the department."""
    if department_id not in visible_departments(session, user):
        raise OutOfScope("this department is outside your jurisdiction")
