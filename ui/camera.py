"""The live camera of Video's live mode and Collect's burst: streamlit-webrtc carries the browser's camera to this
server, a frame at a time, and back, with the same options on both pages. A page first asks `camera_installed`, draws
what it says about the camera, then starts `camera_stream`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from ui.plain_text import plain

CAMERA_CONSTRAINTS = {"video": {"width": 640, "height": 480}, "audio": False}


def camera_installed(missing_sentence: str) -> bool:
    """Whether streamlit-webrtc can be imported; when not, `missing_sentence` is shown as a warning."""
    try:
        import streamlit_webrtc  # noqa: F401
    except ImportError:
        st.warning(missing_sentence)
        return False
    return True


def camera_stream(key: str, on_frame: Callable[[np.ndarray], np.ndarray | None], cannot_run: str):
    """The camera component under `key`, or None after a warning where it cannot run (`cannot_run`, its "{error}"
    filled with what failed). `on_frame(RGB pixels)` runs in streamlit-webrtc's worker thread once per camera frame
    and returns the pixels to send back, or None to send the frame back as it came."""
    import av
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    def callback(frame):
        pixels = on_frame(frame.to_ndarray(format="rgb24"))
        return frame if pixels is None else av.VideoFrame.from_ndarray(pixels, format="rgb24")

    try:
        return webrtc_streamer(key=key, mode=WebRtcMode.SENDRECV, video_frame_callback=callback,
                               media_stream_constraints=CAMERA_CONSTRAINTS, async_processing=True)
    except Exception as error:  # the component needs a real Streamlit server and session; say so, never a traceback
        st.warning(plain(cannot_run.format(error=f"{type(error).__name__}: {error}")))
        return None
