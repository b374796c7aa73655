"""Department scoping: which departments a user may see, on every path."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store.models import Camera, Department, DepartmentGrant, Incident, Role, User

MAX_ID = 2**31 - 1  # ids are 32-bit; anything larger names nothing


class OutOfScope(Exception):
    """The user asked for something outside their departments."""


def visible_departments(session: so.Session, user: User) -> set[int]:
    """Department ids the user may see: own, the whole city for a city chief, all for admins; a trainer's grants too."""
    if user.role == Role.ADMIN.value:
        return set(session.scalars(sa.select(Department.id)))
    granted: set[int] = set()
    if user.role == Role.TRAINER.value:
        granted = set(session.scalars(sa.select(DepartmentGrant.department_id).where(DepartmentGrant.user_id == user.id)))
    if user.department_id is None:
        return granted
    if user.role == Role.CHIEF.value:
        # The city police department's chief sees the whole city; a district chief, the district.
        department = session.get(Department, user.department_id)
        if department is not None and department.parent_id is None:
            return set(session.scalars(sa.select(Department.id).where(Department.city == department.city)))
    return {user.department_id} | granted


def city_departments(session: so.Session, user: User) -> set[int]:
    """Departments of the user's city (where a 102 caller's address may lie); everything for admins."""
    if user.department_id is None:
        return set(session.scalars(sa.select(Department.id))) if user.role == Role.ADMIN.value else set()
    city = sa.select(Department.city).where(Department.id == user.department_id).scalar_subquery()
    return set(session.scalars(sa.select(Department.id).where(Department.city == city)))


def wall_departments(session: so.Session, user: User, department_id: int) -> set[int]:
    """The departments one wall shows: a city department's wall is the city's (within the user's scope), else its own.

    Empty when the user may not see the department at all.
    """
    visible = visible_departments(session, user)
    if department_id not in visible:
        return set()
    department = session.get(Department, department_id)
    if department is None or department.parent_id is not None:
        return {department_id}
    city = set(session.scalars(sa.select(Department.id).where(Department.city == department.city)))
    return city & visible


def require_department(session: so.Session, user: User, department_id: int) -> None:
    """Raise OutOfScope unless the user may see the department."""
    if department_id not in visible_departments(session, user):
        raise OutOfScope("this department is outside your jurisdiction")


def as_id(value: object) -> int | None:
    """An id from an int or a string of ASCII digits in range, else None (never an exception)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def camera_in_scope(session: so.Session, user: User, camera_id: object) -> Camera | None:
    """The camera if it stands in the user's departments; out of scope looks exactly like absent."""
    key = as_id(camera_id)
    camera = session.get(Camera, key) if key is not None else None
    if camera is None or camera.department_id not in visible_departments(session, user):
        return None
    return camera


def incident_in_scope(session: so.Session, user: User, incident_id: object) -> Incident | None:
    """The incident if the user may see it; out of scope looks exactly like absent (no probing ids)."""
    key = as_id(incident_id)
    incident = session.get(Incident, key) if key is not None else None
    if incident is None or incident.department_id not in visible_departments(session, user):
        return None
    return incident
