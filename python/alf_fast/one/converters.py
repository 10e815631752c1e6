"""``one.converters`` for the compatible face: ONE's offline conversion functions.

They return paths and take dicts or pandas Series, so both faces share them; the conversion
methods are methods of :class:`alf_fast.one.api.One`.
"""

from alf_fast.converters import (
    one_path_from_dataset,
    parse_values,
    path_from_dataset,
    path_from_filerecord,
    recurse,
    session_record2path,
)

__all__ = [
    'one_path_from_dataset',
    'parse_values',
    'path_from_dataset',
    'path_from_filerecord',
    'recurse',
    'session_record2path',
]
