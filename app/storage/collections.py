"""Append-only columnar storage of a collection's vectors, inside the SQL database.

Writers take the collection's row lock (`lock_collection`) so that id checks and appends of
concurrent jobs never interleave; readers see only committed chunks.
"""

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select, update
from sqlalchemy.orm import Session, undefer

from app.db.models import Chunk, Collection
from app.errors import BadRequest
from app.ingest import Columns
from app.storage import codec

MAX_IDS_IN_MESSAGE = 5


def lock_collection(session: Session, collection_id: int) -> Collection | None:
    """Take the write lock on a collection (a no-op UPDATE) and return its fresh row."""
    session.execute(
        update(Collection)
        .where(Collection.id == collection_id)
        .values(next_chunk_seq=Collection.next_chunk_seq)
    )
    return session.get(Collection, collection_id, populate_existing=True)


def live_ids(session: Session, collection: Collection) -> list[str]:
    """Ids of the rows no tombstone deleted, in insertion order (reads only the id columns)."""
    chunks = session.scalars(
        select(Chunk).where(Chunk.collection_id == collection.id).order_by(Chunk.seq)
    )
    alive: dict[str, None] = {}
    for chunk in chunks:
        if chunk.kind == "rows":
            alive.update(dict.fromkeys(codec.decode_ids(chunk.ids)))
        elif chunk.kind == "tombstone":
            for i in codec.decode_ids(chunk.ids):
                alive.pop(i, None)
    return list(alive)


def _append_chunk(session: Session, collection: Collection, kind: str, ids: list[str],
                  vectors=None, attributes: dict[str, list] | None = None) -> None:
    session.add(
        Chunk(
            collection_id=collection.id,
            seq=collection.next_chunk_seq,
            kind=kind,
            n_rows=len(ids),
            ids=codec.encode_ids(ids),
            vectors=None if vectors is None else codec.encode_vectors(vectors),
            attributes=None if attributes is None else codec.encode_attributes(attributes),
        )
    )
    collection.next_chunk_seq += 1


def _quote(ids) -> str:
    shown = ", ".join(repr(i) for i in list(ids)[:MAX_IDS_IN_MESSAGE])
    return shown + (", ..." if len(ids) > MAX_IDS_IN_MESSAGE else "")


def _fit_to_collection(collection: Collection, rows: Columns):
    """Return the vectors in the collection's layout, or raise BadRequest saying why not."""
    vectors = rows.vectors
    width = vectors.shape[1]
    if collection.vector_type == "dense":
        if collection.vector_dim is None:  # the first upload of a collection it created
            collection.vector_dim = width
        names = rows.feature_names
        if collection.feature_names and names:
            missing = [n for n in collection.feature_names if n not in names]
            extra = [n for n in names if n not in collection.feature_names]
            if missing or extra:
                raise BadRequest(
                    f"the columns do not match the collection's: missing {missing}, "
                    f"unexpected {extra}; name label and attribute columns with "
                    "label_column/attribute_columns"
                )
            order = [names.index(n) for n in collection.feature_names]
            vectors = vectors[:, order]
        if width != collection.vector_dim:
            raise BadRequest(
                f"the data has {width} vector values per row but collection "
                f"'{collection.name}' has vector_dim {collection.vector_dim}; if some columns are "
                "labels or attributes, name them with label_column/attribute_columns"
            )
        if sp.issparse(vectors):
            vectors = vectors.toarray()
        return np.asarray(vectors, dtype=np.float32)
    if collection.dim_fixed and width > collection.vector_dim:
        raise BadRequest(
            f"the data has indices up to {width - 1} but collection '{collection.name}' has "
            f"vector_dim {collection.vector_dim}"
        )
    csr = sp.csr_matrix(vectors, dtype=np.float32)
    csr.eliminate_zeros()
    return csr


def _assign_ids(collection: Collection, rows: Columns, alive: set[str]) -> list[str]:
    if rows.ids is None:
        ids, ordinal = [], collection.next_auto_id
        while len(ids) < rows.n:
            if str(ordinal) not in alive:
                ids.append(str(ordinal))
            ordinal += 1
        collection.next_auto_id = ordinal
        return ids
    ids = [str(i) for i in rows.ids]
    if len(set(ids)) != len(ids):
        seen, repeated = set(), []
        for i in ids:
            if i in seen:
                repeated.append(i)
            seen.add(i)
        raise BadRequest(f"string ids repeat within the data: {_quote(repeated)}")
    taken = alive.intersection(ids)
    if taken:
        raise BadRequest(
            f"{len(taken)} string ids already exist in collection '{collection.name}': "
            f"{_quote(sorted(taken))}; delete them first with delete_data"
        )
    return ids


def append_rows(session: Session, collection: Collection, rows: Columns) -> int:
    """Append one batch; all of it or nothing. The caller holds the collection lock."""
    vectors = _fit_to_collection(collection, rows)
    ids = _assign_ids(collection, rows, set(live_ids(session, collection)))
    if collection.vector_type == "sparse" and not collection.dim_fixed:
        collection.vector_dim = max(collection.vector_dim or 0, vectors.shape[1])
    if collection.vector_type == "dense" and not collection.feature_names and rows.feature_names:
        if collection.num_vectors == 0:
            collection.feature_names = list(rows.feature_names)
    names = list(collection.attribute_names or [])
    collection.attribute_names = names + [k for k in rows.attributes if k not in names]
    _append_chunk(session, collection, "rows", ids, vectors, rows.attributes)
    collection.num_vectors += len(ids)
    return len(ids)


def delete_ids(session: Session, collection: Collection, ids: list[str]) -> int:
    """Append a tombstone for the ids that are live; return how many were deleted."""
    doomed = sorted(set(live_ids(session, collection)).intersection(str(i) for i in ids))
    if not doomed:
        return 0
    _append_chunk(session, collection, "tombstone", doomed)
    collection.num_vectors -= len(doomed)
    return len(doomed)


def set_attribute(session: Session, collection: Collection, name: str, values: list,
                  ids: list[str] | None) -> int:
    """Give live rows a value of attribute `name`: by id when `ids` is given, else one value per
    live row in insertion order. Appends an "attributes" chunk; returns how many rows got one."""
    alive = live_ids(session, collection)
    if ids is None:
        if len(values) != len(alive):
            raise BadRequest(
                f"the file has {len(values)} labels but collection '{collection.name}' has "
                f"{len(alive)} vectors; give one label per vector, in insertion order"
            )
        ids = alive
    else:
        unknown = set(map(str, ids)).difference(alive)
        if unknown:
            raise BadRequest(
                f"{len(unknown)} ids are not in the collection: {_quote(sorted(unknown))}")
        ids = [str(i) for i in ids]
    _append_chunk(session, collection, "attributes", ids, attributes={name: list(values)})
    if name not in (collection.attribute_names or []):
        collection.attribute_names = list(collection.attribute_names or []) + [name]
    return len(ids)


def read_collection(session: Session, collection: Collection) -> Columns:
    """All live rows in insertion order, with tombstones and attribute chunks applied."""
    chunks = session.scalars(
        select(Chunk)
        .where(Chunk.collection_id == collection.id)
        .order_by(Chunk.seq)
        .options(undefer(Chunk.vectors), undefer(Chunk.attributes))
    ).all()
    blocks = []  # per rows chunk: [ids, vectors, attribute columns, live mask]
    where: dict[str, tuple[int, int]] = {}
    replay = any(c.kind != "rows" for c in chunks)
    for chunk in chunks:
        ids = codec.decode_ids(chunk.ids)
        if chunk.kind == "rows":
            if replay:
                where.update((i, (len(blocks), row)) for row, i in enumerate(ids))
            blocks.append([ids, codec.decode_vectors(chunk.vectors),
                           codec.decode_attributes(chunk.attributes),
                           np.ones(len(ids), dtype=bool)])
        elif chunk.kind == "tombstone":
            for i in ids:
                if i in where:
                    block, row = where.pop(i)
                    blocks[block][3][row] = False
        else:
            for name, values in codec.decode_attributes(chunk.attributes).items():
                for i, value in zip(ids, values, strict=True):
                    if i in where:
                        block, row = where[i]
                        column = blocks[block][2].setdefault(name, [None] * len(blocks[block][0]))
                        column[row] = value
    all_ids: list[str] = []
    vectors = []
    attributes: dict[str, list] = {name: [] for name in collection.attribute_names or []}
    for ids, block_vectors, columns, mask in blocks:
        if not mask.all():
            ids = [i for i, keep in zip(ids, mask, strict=True) if keep]
            block_vectors = block_vectors[mask]
            columns = {k: [v for v, keep in zip(vs, mask, strict=True) if keep]
                       for k, vs in columns.items()}
        for name in columns:
            attributes.setdefault(name, [None] * len(all_ids))
        for name, values in attributes.items():
            values.extend(columns.get(name, [None] * len(ids)))
        all_ids.extend(ids)
        vectors.append(block_vectors)
    return Columns(
        ids=all_ids,
        vectors=_stack(collection, vectors),
        attributes=attributes,
        feature_names=collection.feature_names,
    )


def _stack(collection: Collection, blocks: list) -> np.ndarray | sp.csr_matrix:
    if collection.vector_type == "dense":
        if not blocks:
            return np.zeros((0, collection.vector_dim or 0), dtype=np.float32)
        return np.vstack(blocks)
    width = collection.vector_dim or 0
    resized = [sp.csr_matrix((b.data, b.indices, b.indptr), shape=(b.shape[0], width))
               for b in blocks]
    if not resized:
        return sp.csr_matrix((0, width), dtype=np.float32)
    return sp.vstack(resized, format="csr")
