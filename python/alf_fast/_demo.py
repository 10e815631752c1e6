"""``alf-fast demo``: build a small IBL-like tree, index it, search it, load from it, timing each
step, so a new user sees the whole workflow in one command."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def _step(title: str):
    start = time.perf_counter()
    print(f'- {title}', flush=True)
    yield
    print(f'  ({(time.perf_counter() - start) * 1e3:.1f} ms)', flush=True)


def run_demo(folder=None, keep: bool = False) -> int:
    """Run the demo in `folder`, which keeps the tree; without one, in a temporary folder
    that is removed at the end unless `keep`."""
    if folder is not None:
        root = Path(folder)
        if root.exists() and any(root.iterdir()):
            from alf_fast._cli_errors import CliError

            raise CliError(f'demo folder is not empty: {root}; give a new or empty folder')
        _run(root)
        _epilogue(root)
        return 0
    if keep:
        root = Path(tempfile.mkdtemp(prefix='alf-fast-demo-')) / 'data'
        _run(root)
        _epilogue(root)
        return 0
    with tempfile.TemporaryDirectory(prefix='alf-fast-demo-') as tmp:
        _run(Path(tmp) / 'data')
    print(
        'The demo tree was in a temporary folder and has been removed. To keep it for the '
        "README's quick start: alf-fast demo alf-demo"
    )
    return 0


def _epilogue(root: Path) -> None:
    print(f'The demo tree and its cache tables are kept in {root.resolve()}. Try:')
    print(f'  alf-fast search {root} --subject KS014')
    print(f'  python3 -c "from alf_fast import One; print(One(\'{root}\').list_subjects())"')


def _run(root: Path) -> None:
    from alf_fast import One
    from alf_fast._corpus import build_demo_tree
    from alf_fast.cache import build_cache

    print(f'alf_fast demo in {root}')
    with _step('build a small IBL-like ALF tree'):
        build_demo_tree(root)
        n_files = sum(1 for p in root.rglob('*') if p.is_file())
        print(f'  {n_files} files')
    with _step('index it: make_parquet_db (Rust walker)'):
        report = build_cache(root)
        print(f'  {report.sessions} sessions, {report.datasets} datasets')
        print(f'  tables: {report.sessions_path.name}, {report.datasets_path.name}')
    with _step('open the tables: One(cache_dir=...)'):
        one = One(cache_dir=root)
        print(f'  {one!r}; subjects: {", ".join(one.list_subjects())}')
    with _step("search(datasets=['_ibl_trials.choice.npy', '_ibl_wheel.position.npy'])"):
        eids = one.search(datasets=['_ibl_trials.choice.npy', '_ibl_wheel.position.npy'])
        print(f'  {len(eids)} sessions, first: {eids[0]}')
    eid = eids[0]
    with _step('get_details and list_datasets(eid, collection="alf")'):
        info = one.get_details(eid)
        print(f'  {info["lab"]}/{info["subject"]}/{info["date"]}/{info["number"]:03d}')
        for rel_path in one.list_datasets(eid, collection='alf'):
            print(f'    {rel_path}')
    with _step("load_object(eid, 'trials') (writable arrays; .npy over 4 MiB mapped)"):
        trials = one.load_object(eid, 'trials', collection='alf')
        n = len(trials['choice'])
        correct = float((trials['feedbackType'] == 1).mean())
        print(f'  {n} trials, attributes: {", ".join(sorted(trials))}')
        print(f'  fraction correct: {correct:.2f}')
    with _step("load_dataset(eid, '_ibl_wheel.position.npy')"):
        pos = one.load_dataset(eid, '_ibl_wheel.position.npy', collection='alf')
        print(f'  {pos.shape[0]} wheel samples, range {pos.min():.2f} .. {pos.max():.2f} rad')
    print('demo finished')
