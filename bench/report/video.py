"""Video: frames analysed per second against the `fer` package, the app's memory through a long clip, Live mode."""

from __future__ import annotations

from fer_core.prediction.tta import view_count

from .format import MB, Row, not_measured, nth, people
from .methods import method


def video_rows(video: dict | None) -> list[Row]:
    if not video or "ours" not in video:
        return [not_measured("video: 640×480 clip, every frame analysed", video)]
    small, large = video["ours"]["640x480"], video["ours"]["1280x720"]
    fer = video.get("fer_package") or {}
    fer_fps = fer.get("frames_per_second")
    # Against fer, ours as timed in the same turns (one run each, alternately), where the section has them.
    paired = (fer.get("ours_same_turns") or {}).get("frames_per_second") or small["frames_per_second"]
    clip = f"{video['clip_seconds']} s at {video['clip_fps']} frames/s, two people crossing"
    views = (f", each face in one of the `{video['video_tta']}` views a frame, in turn"
             if video.get("views_spread_over_frames") else
             f", each face as `{video['video_tta']}` views" if video.get("video_tta") else "")
    looks = (f", the detector on every {nth(video['detector_every_frames'])} frame"
             if video.get("detector_every_frames", 1) > 1 else "")
    served = video.get("served_views_640x480")

    def what_if(key: str, label: str) -> list[Row]:
        run = video.get(key)
        if not run:
            return []
        return [Row(f"video: the same 640×480 clip, what-if: {label}",
                    f"{run['frames_per_second']:.1f} frames/s (n={run['seconds']['n']})",
                    f"`fer`: {fer_fps:.1f} frames/s" if fer_fps else "—",
                    f"{run['frames_per_second'] / fer_fps:.1f}× faster" if fer_fps else "—")]

    rows = [
        Row(f"video: 640×480 clip ({clip}), every frame analysed: `analyse_video` (defaults{views}{looks})",
            f"{small['frames_per_second']:.1f} frames/s (n={small['seconds']['n']}); "
            f"{small['with_annotated_mp4']:.1f} with the annotated MP4",
            f"`fer` {fer['version']} `Video.analyze`: {fer_fps:.1f} frames/s (n={fer['seconds']['n']})" if fer_fps
            else f"`fer` package: not measured ({fer.get('skipped', 'not run')})",
            (f"{paired / fer_fps:.1f}× faster" + (f" (ours {paired:.1f} frames/s in the same turns)"
                                                 if fer.get("ours_same_turns") else "")) if fer_fps else "—",
            "≥ 30 frames/s and ≥ 5× `fer`",
            small["frames_per_second"] >= 30 and bool(fer_fps) and paired >= 5 * fer_fps),
        *what_if("every_frame_searched_640x480", "the detector on every frame"),
        *what_if("before_640x480", "the detector on every frame and each face as its mirror pair on every frame "
                                   "(the video default before the two savings)"),
        *([Row(f"video: the same 640×480 clip with the model's served `{served['tta']}` test-time views on every frame "
               f"({view_count(served['tta'])} a face, as photos get)", f"{served['frames_per_second']:.1f} frames/s (n={served['seconds']['n']}); labels "
               f"agree with the video default's on {served['label_agreement']:.1%} of {served['labels_compared']} "
               f"person-frames", f"`fer`: {fer_fps:.1f} frames/s" if fer_fps else "—",
               f"{served['frames_per_second'] / fer_fps:.1f}× faster" if fer_fps else "—")] if served else []),
        Row(f"video: 1280×720 clip ({clip}), every frame analysed",
            f"{large['frames_per_second']:.1f} frames/s (n={large['seconds']['n']}); "
            f"{large['with_annotated_mp4']:.1f} with the annotated MP4", target="≥ 15 frames/s",
            met=large["frames_per_second"] >= 15),
    ]
    app = video.get("app") or {}
    long_clip = app.get("long_clip")
    if long_clip:
        samples = [s for s in long_clip["samples"] if s["frames_done"]]
        # Flat means no growth with clip length: the most memory at any point against the memory a tenth of the way in.
        total = max((s["frames_done"] for s in samples), default=0)
        first = next((s for s in samples if s["frames_done"] >= total / 10), None)
        growth = (max(s["rss_bytes"] for s in samples) - first["rss_bytes"]) / MB if first else None
        minutes = long_clip["seconds_of_clip"] / 60
        rows.append(Row(
            f"video: app server RSS (server and children) while the Video page analyses a {minutes:.0f}-minute 1280×720 "
            f"clip ({long_clip['bytes'] / MB:.0f} MB) at {long_clip['rate']} frames/s analysed",
            f"max {long_clip['server_rss_max_bytes'] / MB:.0f} MB; {growth:+.0f} MB from a tenth of the way in "
            f"({first['rss_bytes'] / MB:.0f} MB) to the most while analysing ({long_clip['analysis_seconds']:.0f} s)"
            if first else "no samples",
            f"before the upload: {long_clip['server_rss_before_upload_bytes'] / MB:.0f} MB", "—",
            "≤ 400 MB, flat", long_clip["server_rss_max_bytes"] <= 400 * MB and growth is not None and growth <= 20))
    else:
        rows.append(not_measured("video: app server RSS through a long 720p clip", app))
    live = app.get("live") or {}
    if live.get("frames_per_second"):
        rate = live["frames_per_second"]
        rows.append(Row(f"video: Live mode, {live['camera']}, boxes drawn (the page's own frames/s line, once a second)",
                        f"{rate['median']:.1f} frames/s (n={rate['n']}); faces in view {sorted(set(live['faces_in_view']))}",
                        target="≥ 15 frames/s", met=rate["median"] >= 15))
    elif app:
        rows.append(not_measured("video: Live mode frames/s", app))
    return rows


def video_details(video: dict) -> list[str]:
    if "ours" not in video:
        return []
    decode = video["decode_1280x720"]
    fer = video.get("fer_package") or {}
    lines = [
        "- " + method(
            "video", model=video["model"], model_tta=video["model_tta"],
            views=(f"scores each face once a frame, in one of the `{video['video_tta']}` views in turn, and averages "
                   "them over 0.5 s" if video.get("views_spread_over_frames") else
                   f"classifies each face as `{video.get('video_tta', video['model_tta'])}` views"),
            fer=(method("video, fer", configuration=fer["configuration"], frames_with_faces=fer["frames_with_faces"],
                        frames=fer["frames"])
                 if fer.get("frames_per_second") else f"not measured: {fer.get('skipped')}.")),
        *_tta_agreement_lines(video.get("tta_agreement")),
        *_between_looks_lines(video.get("between_looks")),
        f"  - Decoding alone, 1280×720 H.264, {decode['frames']} frames: PyAV {decode['pyav_frames_per_second']:.0f} "
        f"frames/s, OpenCV {decode['opencv_frames_per_second']:.0f} frames/s ({decode['note']}).",
    ]
    app = video.get("app") or {}
    if app.get("long_clip"):
        samples = [s for s in app["long_clip"]["samples"] if s["frames_done"]]
        picks = samples[:: max(1, len(samples) // 8)] + samples[-1:]
        lines.append("  - Server RSS while analysing the long clip (seconds since upload: frames analysed, MB): "
                     + "; ".join(f"{s['seconds']:.0f} s: {s['frames_done']:,}, {s['rss_bytes'] / MB:.0f} MB" for s in picks)
                     + ".")
    if app.get("error"):
        lines.append(f"  - In the app: not measured ({app['error'][:300]}).")
    return lines


def _tta_agreement_lines(agreement: dict | None) -> list[str]:
    """What the video default's fewer test-time views cost on real faces, against the served views."""
    if not agreement:
        return []
    served, video = agreement["served"], agreement["video"]
    modes = list(agreement["agreement_with_served"])
    return [f"  - Test-time views for video, on the {agreement['faces']:,} FER2013 {agreement['split']} faces, one face at "
            f"a time (no smoothing over frames): top-1 the same as the served `{served}` views' for "
            + ", ".join(f"`{mode}` {agreement['agreement_with_served'][mode]:.1%}" for mode in modes if mode != served)
            + "; top-1 accuracy " + ", ".join(f"`{mode}` {agreement['accuracy'][mode]:.2%}" for mode in modes)
            + (f". Video spreads the served views over frames where two rounds fit a person's 0.5 s smoothing window "
               f"(`{agreement['spread']}` above; otherwise `{video}` on every frame)." if agreement.get("spread")
               else f". Video uses `{video}`.")]


def _between_looks_lines(between: dict | None) -> list[str]:
    """What boxing the frames between the detector's looks costs, against the detector looking at every frame."""
    if not between:
        return []
    names = {"crossing_640x480": "two people crossing", "handheld_640x480": "one face under a shaking hand-held camera"}
    return ["  - Boxes between the detector's looks, against the detector on every frame (same views), on the frames "
            "between its scheduled looks: " + "; ".join(
                f"{names.get(key, key)}: looked at {b['frames_searched']} of {b['frames']} frames, box centres "
                f"{b['centre_offset_share_of_face']['median']:.1%} of the face's side away (median; 95th percentile "
                f"{b['centre_offset_share_of_face']['p95']:.1%}, at most {b['centre_offset_share_of_face']['max']:.1%}), "
                f"labels the same on {b['label_agreement']:.1%} of {b['person_frames_compared']} person-frames"
                + (f" (probabilities {b['probability_difference']:.4f} apart on average, total variation)"
                   if b.get("probability_difference") is not None else "") + ", "
                f"{people(b['people'])} found (looking at every frame: {people(b['people_looking_every_frame'])})"
                for key, b in between.items()) + "."]
