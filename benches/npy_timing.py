"""Measure the two choices behind ``alf_fast._npy``: header parser, and read or map by size.

1. Header: our strict regular expression against numpy's public reader
   (``numpy.lib.format.read_magic`` + ``read_array_header_1_0``), each including the open.
2. Size: for warm files from 16 KiB to 64 MiB, the time to load (read into memory vs map
   copy-on-write), and to load and then sum every value (which touches every page of a map).

Medians of ``--repeat`` rounds; the machine may be shared, so compare ratios within one run.

Usage: ``python benches/npy_timing.py [--repeat 7]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.lib.format as npformat

from alf_fast import _npy


def _median_us(fn, repeat: int, number: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - start) / number)
    return statistics.median(runs) * 1e6


def header_timing(folder: Path, repeat: int) -> None:
    path = folder / 'small.npy'
    np.save(path, np.arange(10.0).reshape(5, 2))

    def ours():
        with open(path, 'rb') as f:
            assert _npy._parse_header(f) is not None

    def numpys():
        with open(path, 'rb') as f:
            npformat.read_magic(f)
            npformat.read_array_header_1_0(f)

    def open_only():
        with open(path, 'rb') as f:
            f.read(256)

    base = _median_us(open_only, repeat, 3000)
    print('header parse (µs, including open):')
    for name, fn in (('open + read 256 B', open_only), ('ours', ours), ('numpy', numpys)):
        t = _median_us(fn, repeat, 3000)
        print(f'  {name:18s} {t:7.1f}   (+{t - base:5.1f} over the open)')


def size_timing(folder: Path, repeat: int) -> None:
    print('load / load + sum (ms), read vs copy-on-write map:')
    print(f'  {"size":>8s} {"read":>8s} {"map":>8s} {"read+sum":>9s} {"map+sum":>8s}')
    for kib in (16, 256, 1024, 4096, 16384, 65536):
        path = folder / f'{kib}.npy'
        np.save(path, np.ones(kib * 1024 // 8))
        path.read_bytes()  # warm the file cache
        cells = []
        for touch in (False, True):
            for limit in (1 << 62, 0):  # never map, always map
                _npy.MAP_MIN_BYTES = limit

                def run(touch=touch, path=path):
                    a = _npy.load_npy(path)
                    if touch:
                        a.sum()

                number = max(3, 20000 // kib)
                cells.append(_median_us(run, repeat, number) / 1e3)
        print(f'  {kib:6d}Ki ' + ' '.join(f'{c:8.3f}' for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=7)
    args = parser.parse_args()
    threshold = _npy.MAP_MIN_BYTES
    with tempfile.TemporaryDirectory() as tmp:
        header_timing(Path(tmp), args.repeat)
        try:
            size_timing(Path(tmp), args.repeat)
        finally:
            _npy.MAP_MIN_BYTES = threshold


if __name__ == '__main__':
    main()
