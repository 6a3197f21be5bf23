"""Video: a clip in, every person's emotions over time out (numbered boxes on the clip, a timeline and a summary per
person, downloads), or the webcam live. The work is fer_core.prediction's: the page starts a clip's analysis as a
background job (analysis_jobs) and a fragment polls its progress until the saved analysis (saved_analyses) is there;
the webcam's frames go to live_analysis's LiveAnalyser."""

import streamlit as st

from fer_core.errors import FERError, VideoError
from fer_core.prediction.analysis_jobs import AnalysisJob
from fer_core.prediction.saved_analyses import SavedAnalysis
from fer_core.prediction.video_clips import VIDEO_TYPES, clock, frame_rate_text
from fer_core.settings import cache_dir
from ui import cached, camera, sidebar, video_charts
from ui.plain_text import plain

MODE_LABELS = {"clip": "Analyse a clip", "live": "Live webcam"}
EVERY_FRAME = "every frame"
RATE_CHOICES = [1, 2, 5, 10, 15, EVERY_FRAME]


def rate_label(rate) -> str:
    return rate if rate == EVERY_FRAME else f"{rate} a second"


def progress_text(progress) -> str:
    total = f" of {progress.frames_expected:,}" if progress.frames_expected else ""
    left = f", about {clock(progress.seconds_left)} left" if progress.seconds_left is not None else ""
    if progress.drawing:
        return f"Drawing the annotated clip: {progress.frames_done:,}{total} frames{left}"
    return f"Analysed {progress.frames_done:,}{total} frames{left}; then the annotated clip is drawn"


def annotated_caption(annotated: dict, smoothing_seconds: float) -> str:
    """What the annotated clip shows: its frames and sound, then how to read its labels."""
    rate = f" at {frame_rate_text(annotated['frame_rate'])}" if annotated.get("frame_rate") else ""
    frames = "Every frame of the clip" if annotated["every_frame"] else "The analysed frames"
    sound = "with its sound" if annotated["sound"] else "silent like the clip"
    return (f"{frames}{rate}, {sound}; between analysed frames each box moves from one to the next. Each person "
            f"keeps their number for the whole clip; the label is their top emotion, averaged over "
            f"{smoothing_seconds:g} s.")


def queue_text(ahead: int) -> str:
    others = "Another visitor's clip is" if ahead == 1 else "Other visitors' clips are"
    return f"{others} being analysed; yours starts when {'it ends' if ahead == 1 else 'they end'} — {ahead} ahead of you."


def this_session() -> tuple[str | None, object]:
    """(this browser session's id, a function saying whether it is still connected, or None where nobody can tell)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None:
        return None, None
    if not runtime.exists():
        return context.session_id, None
    server, session = runtime.get_instance(), context.session_id
    return session, lambda: server.is_active_session(session)


def analysis_of(upload, fps, model_path) -> SavedAnalysis | None:
    """The clip's saved analysis, or None while it is being made: then this starts the job (or finds it running,
    for this visitor or another) and shows its progress, polled by a fragment that reruns the page when it ends.
    This session's previous clip or rate is let go (stopped unless another visitor waits on it); a new upload of a
    clip that failed is analysed again."""
    # Hashed once per upload (by Streamlit's file_id), not on every rerun of the page.
    saved = SavedAnalysis.for_clip(cache_dir() / "videos", cached.upload_digest(upload.file_id, upload), model_path, fps)
    if saved.exists():
        return saved
    predictor = cached.load_predictor(sidebar.model_file(model_path, model_path.name))
    session, alive = this_session()
    job = AnalysisJob.start(saved, upload, predictor, session=session, attempt=upload.file_id, alive=alive,
                            at_once=settings.video_analyses, fps=fps, max_seconds=settings.max_video_seconds,
                            max_pixels=settings.max_video_gigapixels * 1e9,
                            annotate_every_frame_seconds=settings.annotate_every_frame_seconds)
    if job.error:
        raise VideoError(job.error)
    analysis_progress(job, session)
    return None


@st.fragment(run_every=0.5)
def analysis_progress(job: AnalysisJob, session: str | None) -> None:
    job.poll(session)  # this session still waits: a job nobody polls is stopped (a closed tab)
    if job.done:
        st.rerun()  # the whole page: the results, or the clip's sentence
    progress, ahead = job.progress, job.ahead
    if ahead:
        st.info(queue_text(ahead))
    elif progress is None:
        st.progress(0.0, text="Opening the clip…")
    else:
        st.progress(progress.fraction or 0.0, text=progress_text(progress))


def clip_facts(name: str, clip: dict, analysis: dict) -> str:
    """The clip's facts under the visitor's own file name (a saved analysis holds none: it is shared by content)."""
    people = len(analysis["people"])
    facts = [name, f"{clip['width']}×{clip['height']}",
             clock(clip["duration"]) if clip.get("duration") else None,
             frame_rate_text(clip["frame_rate"]) if clip.get("frame_rate") else None,
             f"{analysis['analysed_frames']:,} frames analysed", f"{people} {'person' if people == 1 else 'people'}"]
    return " · ".join(fact for fact in facts if fact)


def summary_rows(people: list[dict], class_names: list[str]) -> list[dict]:
    return [{"person": p["person"], "mostly": p["summary"]["dominant_emotion"],
             "seen": f"{clock(p['summary']['first_seen'])} – {clock(p['summary']['last_seen'])}",
             **{name: p["summary"]["share_of_time"][name] for name in class_names}} for p in people]


def show_clip_analysis(saved: SavedAnalysis, name: str) -> None:
    analysis = saved.load()
    st.caption(plain(clip_facts(name, analysis["clip"], analysis)))
    for note in analysis["notes"]:
        st.info(plain(note))
    video_column, _ = st.columns([3, 2])
    video_column.video(str(saved.video_path))
    video_column.caption(annotated_caption(analysis["annotated_clip"], analysis["smoothing_seconds"]))
    names = analysis["class_names"]
    if analysis["people"]:
        st.markdown("**Share of time in each emotion**")
        st.dataframe(summary_rows(analysis["people"], names), hide_index=True,
                     column_config={name: st.column_config.NumberColumn(name, format="percent") for name in names})
    for person in analysis["people"]:
        st.plotly_chart(video_charts.timeline_figure(person["timeline"], names,
                                                     f"Person {person['person']}: mostly {person['summary']['dominant_emotion']}"),
                        key=f"timeline-{person['person']}")
    st.subheader("Download the results")
    stem = name.rsplit(".", 1)[0]
    video_download, csv_download, json_download = st.columns(3)
    # Read when clicked: a clip's every frame is tens of MB, not to be held by every rerun of the page.
    video_download.download_button("Annotated video (MP4)", saved.video_path.read_bytes, file_name=f"{stem}_emotions.mp4",
                                   mime="video/mp4", icon=":material/download:")
    csv_download.download_button("Timeline as CSV", saved.csv_path.read_bytes(), file_name=f"{stem}_emotions.csv",
                                 mime="text/csv", icon=":material/download:")
    json_download.download_button("Timeline as JSON", saved.json_path.read_bytes(), file_name=f"{stem}_emotions.json",
                                  mime="application/json", icon=":material/download:")


def live_mode(model_path) -> None:
    if not camera.camera_installed("Live mode needs the streamlit-webrtc package (pip install -r requirements.txt)."):
        return
    from fer_core.prediction.live_analysis import LiveAnalyser

    predictor = cached.load_predictor(sidebar.model_file(model_path, model_path.name))
    live = st.session_state.get("live_analyser")
    if live is None or live.predictor is not predictor:
        live = st.session_state["live_analyser"] = LiveAnalyser(predictor)

    st.caption("Your camera's picture goes to this server, which boxes every face and sends it back. Press Start "
               "and allow the camera.")
    st.caption("No picture? The browser needs camera permission, and this page needs HTTPS (or localhost). A public "
               "server also needs a TURN server to relay the video: see the README's Video section.")
    context = camera.camera_stream("live", live.annotate,
                                   "Live mode cannot run here ({error}). Analyse a recorded clip instead.")
    if context is not None:
        live_status(live, context.state.playing)


@st.fragment(run_every=1.0)
def live_status(live, playing: bool) -> None:
    if not live.frames_done:
        st.caption("Live: waiting for the camera…" if playing else "Live: not started.")
        return
    if not playing:  # the last frame's faces are no longer in view of anything
        st.markdown(f"**Live:** stopped after {live.frames_done:,} frames analysed.")
        return
    rate = live.frames_per_second
    people = plain(", ".join(live.last_labels) or "none")
    st.markdown(f"**Live:** {live.frames_done:,} frames analysed"
                + (f" · {rate:.1f} frames/s" if rate else "")
                + f" · faces in view: {live.faces_in_last_frame} ({people})")


settings = sidebar.hosted_settings()
st.title("Emotions in a video")

model_path = sidebar.chosen_model_path_or_stop()

mode = st.segmented_control("Source", list(MODE_LABELS), format_func=MODE_LABELS.get, default="clip",
                            key="video_mode", required=True, persist_state="session")
if mode == "live":
    AnalysisJob.leave(this_session()[0])  # no clip analysed for this session meanwhile
    live_mode(model_path)
    st.stop()

upload = st.file_uploader(f"A clip with faces (MP4, WebM, MOV, AVI or GIF; up to {clock(settings.max_video_seconds)})",
                          type=list(VIDEO_TYPES), key="video_upload",
                          max_upload_size=settings.max_upload_mb)
rate = st.select_slider("Frames analysed per second", RATE_CHOICES, value=5, format_func=rate_label, key="video_rate",
                        help="Every frame follows fast changes; fewer frames a second finish sooner.")
if upload is None:
    AnalysisJob.leave(this_session()[0])  # the clip was removed: its analysis is not waited for
    st.caption("Every face is found in each analysed frame, followed from frame to frame so each person keeps one "
               "number, and classified; the page then shows each person's emotions over time.")
    st.stop()
try:
    settings.check_upload(upload.size, upload.name)
    saved = analysis_of(upload, None if rate == EVERY_FRAME else rate, model_path)
except FERError as error:
    st.error(plain(error))
    st.stop()
if saved is not None:
    show_clip_analysis(saved, upload.name)
