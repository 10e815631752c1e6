"""``one.alf.path`` for the compatible face: this name is :mod:`alf_fast.path` itself.

The module replaces itself by the polars face's module, so both faces share one definition of
everything in it (and a ``mock.patch`` through either name reaches the same object).
"""

import sys

from alf_fast import path as _impl

sys.modules[__name__] = _impl
