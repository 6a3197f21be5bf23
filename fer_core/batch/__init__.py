"""Many photos or clips in, one table out: a row per face (photos) or per person per analysed frame (clips).

    from fer_core.batch import predict_photos, analyse_clips
    table = predict_photos(["photos/"], out="faces.csv")      # a pandas DataFrame, and faces.csv on disk

The work is spread over worker processes, each loading the model once; rows reach the table file by file as they
are ready, so a folder of 100,000 photos never sits in memory; a re-run with resume=True skips the files the table
already holds; a file that cannot be read gets a row that names it and says why, and the run goes on."""

from .inputs import find_clips, find_photos
from .run import BatchReport, analyse_clips, clip_batch, photo_batch, predict_photos

__all__ = ["BatchReport", "analyse_clips", "clip_batch", "find_clips", "find_photos", "photo_batch", "predict_photos"]
