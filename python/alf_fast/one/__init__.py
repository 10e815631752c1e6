"""ONE's module layout and ONE's pandas types over alf_fast's engine: the compatible face.

A script written for ONE-api changes only the prefix of its imports, ``one.`` to
``alf_fast.one.``::

    from alf_fast.one.api import One        # was: from one.api import One
    from alf_fast.one.alf import io as alfio  # was: from one.alf import io as alfio

Every call returns what ONE-api 3.6.1 returns (pandas frames with ONE's index, column order and
dtypes; pandas Series records; ``uuid.UUID`` ids), with the fixes listed in the README under
"Differences from ONE-api". The polars face, :class:`alf_fast.One`, runs the same engine.

pandas is needed by this face only: ``pip install 'alf-fast[pandas]'``.
"""

try:
    import pandas  # noqa: F401 - checked here so that every submodule can rely on it
except ImportError as err:  # pragma: no cover - pandas is installed wherever tests run
    raise ImportError(
        "alf_fast.one returns pandas objects and needs pandas: pip install 'alf-fast[pandas]'"
        ' (or use the polars face, alf_fast.One)'
    ) from err

#: The ONE-api release whose behaviour this face follows.
__version__ = '3.6.1'
