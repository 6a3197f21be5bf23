"""Many photos or clips in, one table out: a row per face (photos) or per person per analysed frame (clips).

    from fer_core.batch import predict_photos, analyse_clips
    table = predict_photos(["photos/"], out="faces.csv")      # a pandas DataFrame, and faces.csv on disk

The work is spread over worker processes, each loading the model once; rows reach the table file by file as they
are ready, so a folder of 100,000 photos never sits in memory; a re-run with resume=True skips the files the table
already holds; a file that cannot be read gets a row that names it and says why, and the run goes on."""

import importlib

# Loaded when first asked for: the Predict page imports photo_zip and rows from here, without pandas.
_WHERE = {"find_clips": "inputs", "find_photos": "inputs", "BatchReport": "run", "analyse_clips": "run",
          "clip_batch": "run", "photo_batch": "run", "predict_photos": "run"}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'fer_core.batch' has no attribute {name!r}")


__all__ = ["BatchReport", "analyse_clips", "clip_batch", "find_clips", "find_photos", "photo_batch", "predict_photos"]
