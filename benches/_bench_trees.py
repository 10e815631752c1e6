"""Generated IBL-like trees for the benchmarks, built once and reused with ``--data``.

A tree is ``build_ibl_tree``'s output for (files, content, seed); a JSON marker beside it
records what was built, so a later run with the same ``--data`` folder reuses it instead of
rebuilding (minutes at a million files).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

SEED = 0
#: Bumped when the generator's output changes, so stale trees are rebuilt.
TREE_VERSION = 1


def build_tree(root: Path, files: int, content: str) -> dict[str, Any]:
    from alf_fast._corpus import build_ibl_tree

    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    counts = build_ibl_tree(root, files, content, seed=SEED)
    return {'counts': counts, 'build_seconds': time.perf_counter() - t0}


def ensure_tree(data: Path, files: int, content: str, overlay: Path | None) -> dict[str, Any]:
    """Build (or reuse, with ``--data``) the tree of ``files`` files."""
    root = data / f'ibl_{content}_{files}'
    marker = data / f'ibl_{content}_{files}.json'
    if marker.exists() and root.is_dir():
        info = json.loads(marker.read_text())
        if info.get('version') == TREE_VERSION and info.get('overlay') == (overlay is not None):
            info['reused'] = True
            return info
    marker.unlink(missing_ok=True)
    info = build_tree(root, files, content)
    if overlay is not None:
        shutil.copytree(overlay, root, dirs_exist_ok=True)
    info.update(
        root=str(root),
        files=files,
        content=content,
        seed=SEED,
        overlay=overlay is not None,
        version=TREE_VERSION,
    )
    marker.write_text(json.dumps(info))
    info['reused'] = False
    return info


def remove_tree(info: dict[str, Any]) -> None:
    shutil.rmtree(info['root'], ignore_errors=True)
    Path(info['root'] + '.json').unlink(missing_ok=True)
