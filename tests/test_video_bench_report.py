"""The bench's video rows judge each target from the figures, and say why a figure is missing."""

from bench.report.video import video_rows

MB = 1e6


def _video(ours_fps: float, fer_fps: float | None, rss: list[int]) -> dict:
    run = {"frames_per_second": ours_fps, "with_annotated_mp4": ours_fps * 0.8, "seconds": {"n": 3}}
    samples = [{"seconds": i, "rss_bytes": value, "frames_done": 100 * (i + 1)} for i, value in enumerate(rss)]
    return {"clip_seconds": 10, "clip_fps": 30, "model_tta": "flip_zoom",
            "ours": {"640x480": run, "1280x720": run},
            "video_tta": "flip_zoom", "views_spread_over_frames": True, "detector_every_frames": 2,
            "every_frame_searched_640x480": {"frames_per_second": ours_fps * 0.7, "seconds": {"n": 3}},
            "before_640x480": {"frames_per_second": ours_fps * 0.6, "seconds": {"n": 3}},
            "fer_package": {"version": "25.10.3", "frames_per_second": fer_fps, "seconds": {"n": 2}} if fer_fps
            else {"skipped": "the fer package could not be imported (ModuleNotFoundError: No module named 'fer')"},
            "app": {"long_clip": {"seconds_of_clip": 600, "rate": 5, "bytes": 40 * MB, "analysis_seconds": 300,
                                  "server_rss_before_upload_bytes": 110 * MB, "server_rss_max_bytes": max(rss),
                                  "samples": samples},
                    "live": {"frames_per_second": {"median": 18.0, "n": 20}, "faces_in_view": [2, 2],
                             "camera": "fake camera"}}}


def test_targets_met():
    rows = video_rows(_video(60, 10, [250 * MB] * 10))
    assert [row.met for row in rows] == [True, None, None, True, True, True]
    assert "one of the `flip_zoom` views a frame, in turn" in rows[0].what and "every other frame" in rows[0].what
    assert rows[1].ratio == "4.2× faster" and rows[2].ratio == "3.6× faster"  # the what-ifs, against fer


def test_under_five_times_fer_and_growing_memory_are_not_met():
    rows = video_rows(_video(60, 20, [250 * MB + i * 10 * MB for i in range(10)]))
    assert rows[0].met is False and rows[0].ratio == "3.0× faster"
    assert rows[4].met is False and "+90 MB" in rows[4].ours


def test_without_the_fer_package_the_row_says_why():
    rows = video_rows(_video(60, None, [250 * MB] * 10))
    assert rows[0].met is False and "No module named 'fer'" in rows[0].baseline
