"""The page's dataset cache holds one copy, shared by every session, and nobody can write into it."""

import numpy as np
import pytest

from ui import cached


def test_every_caller_gets_the_same_read_only_dataset(fer_csv):
    cached.load_dataset.clear()
    modified = fer_csv.stat().st_mtime
    first = cached.load_dataset(str(fer_csv), False, modified)
    again = cached.load_dataset(str(fer_csv), False, modified)
    assert again is first  # one copy: st.cache_resource hands out the object itself, not a pickled copy
    for array in (first.images, first.labels, first.usage):
        assert not array.flags.writeable
    with pytest.raises(ValueError):
        first.images[0, 0, 0] = 1
    # What the pages do with it still works: fancy-indexed copies, splits and the quality report.
    row = first.images[np.flatnonzero(first.labels == first.labels[0])[:3]]
    row[0, 0, 0] = 1  # a copy the page owns
    assert len(first.splits.train) > 0
    cached.data_quality(str(fer_csv), False, modified)  # it reads only: a write would raise ValueError here
    cached.load_dataset.clear()
