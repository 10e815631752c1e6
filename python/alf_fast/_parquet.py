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

QC_CATEGORIES = ('NOT_SET', 'PASS', 'WARNING', 'FAIL', 'CRITICAL')
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
_COLUMNS = {'sessions': _SESSION_COLUMNS, 'datasets': _DATASET_COLUMNS}


def one_metadata(origin: str | os.PathLike) -> dict:
    """ONE's table metadata: creation time (local, to the minute) and the indexed root."""
    now = datetime.datetime.now().isoformat(sep=' ', timespec='minutes')
    return {'date_created': now, 'origin': str(origin)}


def _column_meta(name, pandas_type, numpy_type):
    meta = None
    if pandas_type == 'categorical':
        meta = {'num_categories': len(QC_CATEGORIES), 'ordered': True}
    return {
        'name': name,
        'field_name': name,
        'pandas_type': pandas_type,
        'numpy_type': numpy_type,
        'metadata': meta,
    }


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
        'pandas_version': '3.1.1',
    }


def one_schema(name: str, n_rows: int, metadata: dict, indexed: bool = True) -> pa.Schema:
    """The Arrow schema, with ONE's and pandas' metadata, of table ``name`` as ONE writes it.

    ``indexed`` is False for ONE's ``hash_ids=False`` layout (ids as plain leading columns).
    """
    index = _INDEX[name]
    id_type = pa.large_string() if indexed else pa.string()
    columns = _COLUMNS[name]
    if n_rows == 0:
        columns = tuple(map(_empty_safe, columns))
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
    arrays = [data.column(f.name).cast(f.type) for f in schema]
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(arrays, schema=schema)
    return pa.Table.from_arrays(arrays, schema=schema)


def write_atomic(tables: dict[Path, tuple[pa.Schema, Iterable]]) -> None:
    """Write each table, given as a schema and an iterable of batches or tables, to a temporary
    file beside its destination, then rename them all.

    Nothing is renamed until every file is written, so a failure (disk full, interrupt) leaves
    the previous tables untouched. The temporary names do not end in ``.pqt``, which ONE would
    try to load as a table. Batches are written as they come, so a large table never needs to
    be in memory whole.
    """
    staged = []
    try:
        for dest, (schema, parts) in tables.items():
            tmp = dest.with_name(f'.{dest.name}.{os.getpid()}.tmp')
            staged.append((tmp, dest))
            # UUID ids (the large_string index columns) are unique and gain nothing from
            # dictionary encoding; every other column repeats a lot.
            dictionary = [
                f.name for f in schema if not (f.name == 'id' and f.type == pa.large_string())
            ]
            with pq.ParquetWriter(tmp, schema, use_dictionary=dictionary) as writer:
                for part in parts:
                    if isinstance(part, pa.RecordBatch):
                        writer.write_batch(part)
                    else:
                        writer.write_table(part)
        for tmp, dest in staged:
            os.replace(tmp, dest)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
