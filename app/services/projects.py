"""Projects belong to one user; every lookup goes through `get_project`, the owner check."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Collection, Job, Model, Project, User
from app.errors import NotFound
from app.jobs.state import release
from app.services.model_cache import forget_models
from app.services.names import check_name
from app.services.unique import insert_unique


def get_project(session: Session, user: User, name: str) -> Project:
    project = session.scalar(
        select(Project).where(Project.user_id == user.id, Project.name == name)
    )
    if project is None:
        raise NotFound(f"Project does not exist: '{name}'")
    return project


def create_project(session: Session, user: User, name: str, application: str | None) -> Project:
    check_name("project_name", name)
    project = Project(user_id=user.id, name=name, application=application)
    return insert_unique(session, project, f"Project already exists: '{name}'")


def delete_project(session: Session, user: User, name: str) -> None:
    """Deletes the project with its datasets, vectors and models (database cascades); its jobs
    are cancelled and stay readable."""
    project = get_project(session, user, name)
    forget_models(session, Model.collection_id.in_(
        select(Collection.id).where(Collection.project_id == project.id)))
    release(session, Job.project_id == project.id, "cancelled: the project was deleted")
    session.delete(project)


def list_projects(session: Session, user: User) -> list[Project]:
    return list(
        session.scalars(select(Project).where(Project.user_id == user.id).order_by(Project.id))
    )


def dataset_counts(session: Session, user: User) -> dict[str, int]:
    """Each of the user's projects (in creation order) with its number of datasets, in one
    query."""
    rows = session.execute(
        select(Project.name, func.count(Collection.id))
        .outerjoin(Collection, Collection.project_id == Project.id)
        .where(Project.user_id == user.id)
        .group_by(Project.id, Project.name)
        .order_by(Project.id)
    )
    return {name: count for name, count in rows}
