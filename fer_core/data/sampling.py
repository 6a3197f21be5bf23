"""A stratified sample of FER2013 that keeps the class skew of every split: the app's built-in demo data."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..atomic import write_bytes_atomically
from ..shipped_files import shipped_path
from .dataset import FERDataset

BUILT_IN_SAMPLE = shipped_path("data/fer2013_sample.csv.gz")


def stratified_sample(dataset: FERDataset, fraction: float, seed: int = 0) -> FERDataset:
    """About `fraction` of every (Usage, class) group, at least one face from each non-empty group, in file order."""
    rng = np.random.default_rng(seed)
    chosen = []
    for usage in np.unique(dataset.usage):
        for label in np.unique(dataset.labels):
            members = np.flatnonzero((dataset.usage == usage) & (dataset.labels == label))
            if len(members):
                take = max(1, int(round(len(members) * fraction)))
                chosen.append(rng.choice(members, take, replace=False))
    return dataset.subset(np.sort(np.concatenate(chosen)))


def write_sample(dataset: FERDataset, path: str | Path) -> Path:
    from .csv_format import format_fer_csv

    # mtime=0 keeps the gzip bytes, and so the cache key, the same every time the sample is rebuilt.
    data = gzip.compress(format_fer_csv(dataset.images, dataset.labels, dataset.usage), compresslevel=9, mtime=0)
    return write_bytes_atomically(path, data)
