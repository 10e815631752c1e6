"""Lenient table loading reports what it changed; duplicate ids are an error (issue 8.11).

ONE-api nulls these values silently (a ``qc`` outside its categories, an unparseable date) or
keeps duplicate index entries; alf_fast loads the same tables but says what was lost, naming
the file, the column and the count.
"""

import datetime
import json
import uuid
import warnings

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alf_fast import One
from alf_fast._tables import load_tables
from alf_fast.exceptions import ALFWarning

META = {b'one_metadata': json.dumps({'date_created': '2024-05-06 07:08'}).encode()}
EIDS = [str(uuid.uuid5(uuid.NAMESPACE_DNS, f's{i}')) for i in range(3)]


def sessions(**changes):
    columns = {
        'id': EIDS,
        'lab': ['l'] * 3,
        'subject': ['a', 'b', 'c'],
        'date': pa.array([datetime.date(2020, 1, d) for d in (1, 2, 3)]),
        'number': pa.array([1, 1, 1], pa.uint16()),
        'task_protocol': [''] * 3,
        'projects': [''] * 3,
    }
    columns.update(changes)
    return {k: v for k, v in columns.items() if v is not None}


def datasets(**changes):
    n = 4
    columns = {
        'eid': [EIDS[0], EIDS[0], EIDS[1], EIDS[2]],
        'id': [str(uuid.uuid5(uuid.NAMESPACE_DNS, f'd{i}')) for i in range(n)],
        'rel_path': ['alf/a.b.npy', 'alf/a.c.npy', 'alf/a.b.npy', 'alf/a.b.npy'],
        'file_size': pa.array([1, 2, 3, 4], pa.uint64()),
        'hash': pa.array([None] * n, pa.string()),
        'exists': [True] * n,
        'qc': pa.array(['NOT_SET', 'PASS', 'FAIL', 'PASS']).dictionary_encode(),
    }
    columns.update(changes)
    return {k: v for k, v in columns.items() if v is not None}


def write(folder, sessions_columns=None, datasets_columns=None):
    for name, columns in (
        ('sessions', sessions_columns or sessions()),
        ('datasets', datasets_columns or datasets()),
    ):
        table = pa.table(columns)
        pq.write_table(table.replace_schema_metadata(META), folder / f'{name}.pqt')


def alf_warnings(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        load_tables(folder)
    return [str(w.message) for w in caught if issubclass(w.category, ALFWarning)]


def test_clean_tables_load_silently(tmp_path):
    write(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_tables(tmp_path)


def test_one_and_alf_fast_tables_load_silently(f_template, tmp_path):
    """Tables written by ONE-api and by our indexer: nothing to report."""
    from alf_fast import make_parquet_db

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_tables(f_template)
        make_parquet_db(f_template, out_dir=tmp_path)
        load_tables(tmp_path)


def test_qc_outside_the_enum(tmp_path):
    qc = pa.array(['PASS', 'GOOD', 'BAD', 'FAIL']).dictionary_encode()
    write(tmp_path, datasets_columns=datasets(qc=qc))
    (message,) = alf_warnings(tmp_path)
    assert str(tmp_path / 'datasets.pqt') in message
    assert "column 'qc'" in message and '2 of 4 values' in message


def test_qc_strings_outside_the_enum(tmp_path):
    write(tmp_path, datasets_columns=datasets(qc=['PASS', 'pass', 'PASS', 'PASS']))
    (message,) = alf_warnings(tmp_path)
    assert "'qc'" in message and '1 of 4 values' in message


def test_integer_dates(tmp_path):
    write(tmp_path, sessions(date=pa.array([20200101, 20200102, 20200103], pa.int64())))
    (message,) = alf_warnings(tmp_path)
    assert str(tmp_path / 'sessions.pqt') in message
    assert "column 'date' holds numbers" in message and '3 values' in message
    assert '1970' in message


def test_unparseable_string_dates(tmp_path):
    write(tmp_path, sessions(date=['2020-01-01', '2020-13-45', 'yesterday']))
    (message,) = alf_warnings(tmp_path)
    assert "column 'date'" in message and '2 of 3 values' in message


def test_negative_and_fractional_sizes(tmp_path):
    write(tmp_path, datasets_columns=datasets(file_size=pa.array([1, -2, -3, 4], pa.int64())))
    (message,) = alf_warnings(tmp_path)
    assert "column 'file_size'" in message and '2 of 4 values' in message


def test_nan_sizes_already_meant_unknown(tmp_path):
    """ONE's old tables store unknown sizes as NaN: becoming null loses nothing."""
    sizes = pa.array([1.0, float('nan'), None, 4.0], pa.float64())
    write(tmp_path, datasets_columns=datasets(file_size=sizes))
    assert alf_warnings(tmp_path) == []


def test_missing_eid_column(tmp_path):
    """Every dataset would be orphaned: the index falls back to 'id' alone."""
    write(tmp_path, datasets_columns=datasets(eid=None))
    messages = alf_warnings(tmp_path)
    assert any("no 'eid' column: all 4 rows" in m for m in messages), messages
    assert all(str(tmp_path / 'datasets.pqt') in m for m in messages)


@pytest.mark.parametrize(
    ('table', 'column'),
    [('datasets', 'rel_path'), ('sessions', 'subject'), ('sessions', 'date')],
)
def test_missing_required_column(tmp_path, table, column):
    if table == 'datasets':
        write(tmp_path, datasets_columns=datasets(**{column: None}))
    else:
        write(tmp_path, sessions(**{column: None}))
    messages = alf_warnings(tmp_path)
    assert any(f"no '{column}' column" in m and f'{table}.pqt' in m for m in messages)


def test_duplicate_session_ids(tmp_path):
    write(tmp_path, sessions(id=[EIDS[0], EIDS[1], EIDS[0]]))
    with pytest.raises(ValueError, match=r'sessions\.pqt') as info:
        load_tables(tmp_path)
    assert EIDS[0] in str(info.value) and '1 rows repeat the id' in str(info.value)


def test_duplicate_dataset_rows(tmp_path):
    cols = datasets()
    for column in ('id', 'rel_path'):
        cols[column] = [cols[column][0], *cols[column][:3]]
    write(tmp_path, datasets_columns=cols)
    with pytest.raises(ValueError, match=r'datasets\.pqt') as info:
        load_tables(tmp_path)
    assert f'eid={EIDS[0]}, id={cols["id"][0]}, rel_path=alf/a.b.npy' in str(info.value)
    assert '1 rows repeat the eid/id/rel_path' in str(info.value)


def test_dataset_id_shared_by_two_files_of_a_session(tmp_path):
    """ONE-api's own fixture tables have one: a warning, the table still loads."""
    cols = datasets()
    cols['id'] = [cols['id'][0], cols['id'][0], cols['id'][2], cols['id'][3]]
    write(tmp_path, datasets_columns=cols)
    (message,) = alf_warnings(tmp_path)
    assert str(tmp_path / 'datasets.pqt') in message
    assert '1 datasets share the eid/id of another file' in message
    assert f'eid={EIDS[0]}, id={cols["id"][0]}' in message


def test_one_api_fixture_tables_warn_once():
    from pathlib import Path

    folder = Path(__import__('one').__file__).parent / 'tests' / 'fixtures'
    (message,) = alf_warnings(folder)
    assert 'af5a5b6f-4774-43e5-98eb-132d76e69fb9' in message


def test_same_dataset_id_in_two_sessions_is_fine(tmp_path):
    """ONE's own ids repeat across sessions (they hash the relative path only)."""
    cols = datasets()
    cols['id'] = [cols['id'][0], cols['id'][1], cols['id'][0], cols['id'][0]]
    write(tmp_path, datasets_columns=cols)
    assert alf_warnings(tmp_path) == []


def test_one_reports_through_construction(tmp_path):
    write(tmp_path, datasets_columns=datasets(qc=['PASS', 'GOOD', 'PASS', 'PASS']))
    with pytest.warns(ALFWarning, match=r"datasets\.pqt: column 'qc'"):
        One(cache_dir=tmp_path)
    write(tmp_path, sessions(id=[EIDS[0]] * 3))
    with pytest.raises(ValueError, match=r'sessions\.pqt: 2 rows repeat'):
        One(cache_dir=tmp_path)
