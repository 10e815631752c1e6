"""Writing cache tables in the exact layout ONE-api writes and reads.

ONE writes its tables from pandas, so a reader (ONE, pandas, iblutil) expects pandas metadata
that names the index columns and marks ``qc`` as an ordered categorical, plus ONE's own
``one_metadata`` key without which a file is not a table (contract 2.4, 2.11). pandas is not a
runtime dependency, so that metadata is written here by hand, column for column as pandas 3
writes it.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from alf_fast.spec import QC_LEVELS

QC_TYPE = pa.dictionary(pa.int8(), pa.string(), ordered=True)

# (name, arrow type, pandas_type, numpy_type); index columns are written as large_string, as
# pandas does for an object index.
_SESSION_COLUMNS = (
    ('lab', pa.string(), 'unicode', 'object'),
    ('subject', pa.string(), 'unicode', 'object'),
    ('date', pa.date32(), 'date', 'object'),
    ('number', pa.uint16(), 'uint16', 'uint16'),
    ('task_protocol', pa.string(), 'unicode', 'object'),
    ('projects', pa.string(), 'unicode', 'object'),
)
_DATASET_COLUMNS = (
    ('rel_path', pa.string(), 'unicode', 'object'),
    ('file_size', pa.uint64(), 'uint64', 'UInt64'),
    ('hash', pa.string(), 'unicode', 'object'),
    ('exists', pa.bool_(), 'bool', 'bool'),
    ('qc', QC_TYPE, 'categorical', 'int8'),
)
_INDEX = {'sessions': ('id',), 'datasets': ('eid', 'id')}
#: The pandas release whose ``to_parquet`` metadata the layout below copies, written as the
#: metadata's ``pandas_version`` because pandas writes its own version there. It cannot be
#: derived: pandas is not a runtime dependency, and the layout is ours, not the installed
#: pandas'. Readers do not act on it (pyarrow's ``pandas_compat`` and pandas rebuild the frame
#: from ``index_columns`` and ``columns`` alone), so it records which layout was copied; bump
#: it only after checking the layout against that release (test_index compares it with ONE's
#: tables written by the installed pandas).
PANDAS_LAYOUT_VERSION = '3.1.1'
_COLUMNS = {'sessions': _SESSION_COLUMNS, 'datasets': _DATASET_COLUMNS}


def one_metadata(origin: str | os.PathLike) -> dict:
    """ONE's table metadata: creation time (local, to the minute) and the indexed root."""
    now = datetime.datetime.now().isoformat(sep=' ', timespec='minutes')
    return {'date_created': now, 'origin': str(origin)}


def _column_meta(name, pandas_type, numpy_type):
    meta = None
    if pandas_type == 'categorical':
        meta = {'num_categories': len(QC_LEVELS), 'ordered': True}
    return {
        'name': name,
        'field_name': name,
        'pandas_type': pandas_type,
        'numpy_type': numpy_type,
        'metadata': meta,
    }


# A hash column holding no hash at all is written with Arrow's null type: pandas reads that as
# an object column of ``None`` under pandas 2 and 3 alike, and ONE-api skips its md5 check for
# ``None`` only. A null *string* reads as ``None`` under pandas 2 but as ``NaN`` under pandas 3,
# which ONE-api takes for a hash and so md5s the file on every load and logs a mismatch.
_NO_HASH_COLUMN = ('hash', pa.null(), 'empty', 'object')


def _empty_safe(column):
    # Parquet keeps no dictionary for a column without rows, so an empty categorical `qc` reads
    # back with zero categories and ONE's `qc <= 'FAIL'` then raises TypeError (contract 2.9).
    # A string column compares fine and, having no rows, cannot compare wrongly.
    name = column[0]
    return (name, pa.string(), 'unicode', 'object') if name == 'qc' else column


def _pandas_metadata(name: str, columns, n_rows: int, indexed: bool) -> dict:
    index = _INDEX[name]
    columns = [_column_meta(c, pt, nt) for c, _, pt, nt in columns]
    id_columns = [_column_meta(c, 'object' if indexed else 'unicode', 'str') for c in index]
    if indexed:
        index_columns = list(index)
        columns = columns + id_columns
    else:
        # ONE's hash_ids=False tables keep a RangeIndex and the ids as leading columns.
        index_columns = [{'kind': 'range', 'name': None, 'start': 0, 'stop': n_rows, 'step': 1}]
        columns = id_columns + columns
    return {
        'index_columns': index_columns,
        'column_indexes': [
            {
                'name': None,
                'field_name': None,
                'pandas_type': 'unicode',
                'numpy_type': 'str',
                'metadata': {'encoding': 'UTF-8'},
            }
        ],
        'columns': columns,
        'attributes': {},
        'creator': {'library': 'pyarrow', 'version': pa.__version__},
        'pandas_version': PANDAS_LAYOUT_VERSION,
    }


def one_schema(
    name: str, n_rows: int, metadata: dict, indexed: bool = True, hashed: bool = True
) -> pa.Schema:
    """The Arrow schema, with ONE's and pandas' metadata, of table ``name`` as ONE writes it.

    ``indexed`` is False for ONE's ``hash_ids=False`` layout (ids as plain leading columns).
    ``hashed`` is False when no file was hashed: the ``hash`` column is then null-typed.
    """
    index = _INDEX[name]
    id_type = pa.large_string() if indexed else pa.string()
    columns = _COLUMNS[name]
    if n_rows == 0:
        columns = tuple(map(_empty_safe, columns))
    if not hashed:
        columns = tuple(_NO_HASH_COLUMN if c[0] == 'hash' else c for c in columns)
    fields = [(c, t) for c, t, _, _ in columns]
    ids = [(c, id_type) for c in index]
    fields = fields + ids if indexed else ids + fields
    return pa.schema([pa.field(c, t) for c, t in fields]).with_metadata(
        {
            'one_metadata': json.dumps(metadata),
            'pandas': json.dumps(_pandas_metadata(name, columns, n_rows, indexed)),
        }
    )


def conform(data: pa.RecordBatch | pa.Table, schema: pa.Schema) -> pa.RecordBatch | pa.Table:
    """Select, order and cast the columns of ``data`` to ``schema`` (extra columns dropped)."""
    arrays = [_cast(data.column(f.name), f) for f in schema]
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(arrays, schema=schema)
    return pa.Table.from_arrays(arrays, schema=schema)


def _cast(column, field: pa.Field):
    if field.type != pa.null():
        return column.cast(field.type)
    if column.null_count != len(column):
        raise ValueError(f'column {field.name!r} has values but is written as all-null')
    return (
        pa.nulls(len(column))
        if isinstance(column, pa.Array)
        else pa.chunked_array([pa.nulls(len(column))])
    )


def write_table(path: Path, schema: pa.Schema, parts: Iterable) -> None:
    """Write one table, given as a schema and an iterable of batches or tables, to ``path``.

    Batches are written as they come, so a large table never needs to be in memory whole.
    """
    # UUID ids (the large_string index columns) are unique and gain nothing from dictionary
    # encoding; every other column repeats a lot.
    dictionary = [f.name for f in schema if not (f.name == 'id' and f.type == pa.large_string())]
    with pq.ParquetWriter(path, schema, use_dictionary=dictionary) as writer:
        for part in parts:
            if isinstance(part, pa.RecordBatch):
                writer.write_batch(part)
            else:
                writer.write_table(part)


def write_atomic(tables: dict[Path, tuple[pa.Schema, Iterable]]) -> str:
    """Write the tables and replace their destinations as one recoverable commit; returns
    the build id. See :func:`alf_fast._commit.write_tables` (the caller holds the lock)."""
    from alf_fast._commit import write_tables

    return write_tables(tables)
