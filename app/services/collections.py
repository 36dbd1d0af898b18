"""Datasets (collections) inside a user's project."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Collection, Job, Model, Project, User
from app.errors import BadRequest, NotFound
from app.jobs.state import release
from app.services.model_cache import forget_models
from app.services.names import check_name
from app.services.projects import get_project
from app.services.unique import insert_unique

VECTOR_TYPES = ("dense", "sparse")


def find_collection(session: Session, project: Project, name: str) -> Collection | None:
    return session.scalar(
        select(Collection).where(Collection.project_id == project.id, Collection.name == name)
    )


def get_collection(session: Session, user: User, project_name: str, name: str) -> Collection:
    project = get_project(session, user, project_name)
    collection = find_collection(session, project, name)
    if collection is None:
        raise NotFound(f"Collection does not exist: '{name}' in project '{project_name}'")
    return collection


def check_layout(vector_type: str, vector_dim: int | None, *, dim_from_data: bool) -> None:
    if vector_type not in VECTOR_TYPES:
        raise BadRequest(f"vector_type must be 'dense' or 'sparse', not {vector_type!r}")
    if vector_dim is not None and vector_dim <= 0:
        raise BadRequest("vector_dim must be a positive integer")
    if vector_type == "dense" and vector_dim is None and not dim_from_data:
        raise BadRequest("vector_dim is required for a dense collection")


def create_collection(
    session: Session, project: Project, name: str, vector_type: str, vector_dim: int | None,
    *, dim_from_data: bool = False,
) -> Collection:
    """Create an empty collection. A dense one needs its dimension up front unless its first
    upload sets it (`dim_from_data`); a sparse one may leave it open, and then grows to the
    widest row inserted."""
    check_name("collection_name", name)
    check_layout(vector_type, vector_dim, dim_from_data=dim_from_data)
    collection = Collection(
        project_id=project.id,
        name=name,
        vector_type=vector_type,
        vector_dim=vector_dim,
        dim_fixed=vector_dim is not None or (vector_type == "dense" and not dim_from_data),
        attribute_names=[],
        categorical_attributes=[],
    )
    return insert_unique(session, collection, f"Collection already exists: '{name}'")


def init_collection(
    session: Session, user: User, project_name: str, name: str, vector_type: str,
    vector_dim: int | None,
) -> Collection:
    project = get_project(session, user, project_name)
    return create_collection(session, project, name, vector_type, vector_dim)


def delete_collection(session: Session, user: User, project_name: str, name: str) -> None:
    collection = get_collection(session, user, project_name, name)
    forget_models(session, Model.collection_id == collection.id)
    release(session, Job.collection_id == collection.id,
                 "cancelled: the dataset was deleted")
    session.delete(collection)


def list_collections(session: Session, user: User, project_name: str) -> list[Collection]:
    project = get_project(session, user, project_name)
    return list(
        session.scalars(
            select(Collection).where(Collection.project_id == project.id).order_by(Collection.id)
        )
    )
