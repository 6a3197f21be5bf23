"""Clips' analyses kept on disk (`SavedAnalysis`), so the Video page analyses a clip once and serves its JSON, CSV
and annotated MP4 to every rerun and every visitor who uploads the same clip."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_bytes_atomically, write_json_atomically
from .video_analysis import ANALYSIS_VERSION, analyse_video
from .video_clips import UNNAMED_CLIP


@dataclass(frozen=True)
class SavedAnalysis:
    """A clip's analysis kept on disk, one folder per (clip, model, frames per second): the JSON, the CSV and the
    annotated MP4. The page analyses a clip once and serves all three from here; the newest KEEP_SAVED stay."""

    folder: Path

    KEEP_SAVED = 8

    @classmethod
    def for_clip(cls, videos_dir: str | Path, clip_digest: str, model_path: str | Path, fps: float | None) -> SavedAnalysis:
        """The folder for the clip whose bytes have `clip_digest` (a hex digest, computed once per upload: a rerun of
        the page does not hash the clip again), analysed by the model at `model_path` at `fps` frames a second."""
        model = Path(model_path)
        key = f"{clip_digest}|{model.resolve()}|{model.stat().st_mtime if model.exists() else 0}|{fps}|{ANALYSIS_VERSION}"
        return cls(Path(videos_dir) / hashlib.sha1(key.encode()).hexdigest()[:20])

    @property
    def json_path(self) -> Path:
        return self.folder / "analysis.json"

    @property
    def csv_path(self) -> Path:
        return self.folder / "analysis.csv"

    @property
    def video_path(self) -> Path:
        return self.folder / "annotated.mp4"

    def exists(self) -> bool:
        return self.json_path.exists() and self.csv_path.exists() and self.video_path.exists()

    def analyse(self, source, predictor, **options) -> dict:
        """analyse_video(source, predictor, **options) into this folder; returns the analysis as plain data. The JSON,
        written last, marks the folder complete. The folder is found by the clip's digest, so whoever uploads its bytes
        next is served it: it holds no visitor's file name (the clip is UNNAMED_CLIP in its facts and notes)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / ".annotated.partial.mp4"
        try:
            analysis = analyse_video(source, predictor, annotated_path=partial, **{**options, "name": UNNAMED_CLIP})
            os.replace(partial, self.video_path)
        finally:
            partial.unlink(missing_ok=True)
        write_bytes_atomically(self.csv_path, analysis.to_csv().encode())
        data = analysis.to_dict()
        write_json_atomically(self.json_path, data)
        self._prune_others()
        return data

    def load(self) -> dict:
        return json.loads(self.json_path.read_text(encoding="utf-8"))

    def _prune_others(self) -> None:
        folders = sorted((p for p in self.folder.parent.iterdir() if p.is_dir() and p != self.folder),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in folders[self.KEEP_SAVED - 1:]:
            shutil.rmtree(old, ignore_errors=True)
