"""alf_fast: a Rust-accelerated drop-in for the local mode of the IBL ONE API.

Replace ``from one.api import One`` with ``from alf_fast import One``. The cache tables are built
by a multithreaded Rust indexer (:func:`make_parquet_db`) and read, searched and loaded with
polars.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ['ONE', 'CheckReport', 'One', '__version__', 'check', 'make_parquet_db']

if TYPE_CHECKING:
    from alf_fast._check import CheckReport, check
    from alf_fast.api import ONE, One
    from alf_fast.cache import make_parquet_db

# Imported on first use: `import alf_fast.spec` should not pay for polars or the extension.
_LAZY = {
    'ONE': 'alf_fast.api',
    'One': 'alf_fast.api',
    'make_parquet_db': 'alf_fast.cache',
    'check': 'alf_fast._check',
    'CheckReport': 'alf_fast._check',
}


def __getattr__(name: str) -> Any:
    if name == '__version__':
        from alf_fast._alf_fast import __version__

        return __version__
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
