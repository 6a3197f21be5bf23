"""The app from cold to the Predict page's first chart, and the server's memory, against importing TensorFlow."""

from __future__ import annotations

from .format import MB, Row, duration, n_of, not_measured, stage_text


def app_rows(app: dict | None) -> list[Row]:
    tf = (app or {}).get("tensorflow_import")
    tf_text = f"importing TensorFlow: {tf['rss_bytes'] / MB:.0f} MB, {duration(tf['seconds'])}" if tf else "—"
    if not app or "cold_start" not in app:
        return [not_measured("app cold start → first prediction shown", app),
                Row("app server memory after a prediction (RSS)", "not measured", tf_text)]
    start = app["cold_start"]
    rss = app["server_rss_bytes"]
    loaded = "TensorFlow loaded" if app["tensorflow_loaded_in_server"] else "no TensorFlow in the server"
    return [
        Row(f"app cold start → first top-3 chart shown (server launch → chart; server ready → chart: "
            f"{duration(start['ready_to_chart']['median'])})",
            duration(start["launch_to_chart"]["median"]) + n_of(start["launch_to_chart"]), "—", "—", "≤ 3 s",
            start["launch_to_chart"]["median"] <= 3),
        Row("app server memory after a prediction (RSS, server and children)",
            f"{rss['median'] / MB:.0f} MB{n_of(rss)}; {loaded}", tf_text,
            f"{tf['rss_bytes'] / rss['median']:.1f}× less" if tf else "—", "≤ 350 MB", rss["median"] <= 350 * MB),
    ]


def app_details(app: dict) -> list[str]:
    tf = app.get("tensorflow_import")
    lines = []
    if "cold_start" in app:
        start = app["cold_start"]
        lines.append(
            f"- **App.** Headless Chromium ({', '.join(['fresh profile', 'started before the server'])}); then "
            f"`streamlit run streamlit_app.py --server.headless true` in a fresh process; the clock runs from the "
            f"launch until the Predict page (`{app['page']}`) shows a new chart after `{app['photo']}` is uploaded "
            f"through its file uploader. Server launch → /_stcore/health answers: "
            f"{duration(start['launch_to_ready']['median'])}; then → chart: {duration(start['ready_to_chart']['median'])} "
            f"(n={start['launch_to_chart']['n']}). RSS is VmRSS of the server and its {app['server_processes'] - 1} "
            f"child process(es) once the run that drew the chart finished (peak during it: "
            f"{app['server_peak_rss_bytes']['median'] / MB:.0f} MB, VmHWM); TensorFlow in the server: "
            f"{app['tensorflow_loaded_in_server']} (libtensorflow in /proc/PID/maps), LiteRT: "
            f"{app['litert_loaded_in_server']}, ONNX Runtime: {app['onnxruntime_loaded_in_server']}.")
        if "ready_to_connected" in start:
            m = {key: stats["median"] for key, stats in start.items()}
            lines.append(
                f"  - Cold, step by step (medians): server launch → health check answers {duration(m['launch_to_ready'])}; "
                f"→ the browser has loaded the frontend and its websocket is connected {duration(m['ready_to_connected'])}; "
                f"→ the first script run has drawn the page up to the photo uploader {duration(m['connected_to_uploader'])}; "
                f"upload → top-3 chart drawn {duration(m['upload_to_chart'])}; chart → end of that script run "
                f"{duration(m['chart_to_run_end'])}.")
            lines.append(
                f"  - The same visit again in a new tab of the same browser, server warm and this photo's prediction "
                f"cached: open → connected {duration(m['warm_open_to_connected'])}, → uploader "
                f"{duration(m['warm_connected_to_uploader'])}, upload → chart {duration(m['warm_upload_to_chart'])}; "
                f"open → chart {duration(m['warm_open_to_chart'])}.")
        if "cold_browser_run" in start:
            lines.append(
                "  - Upload → chart on the browser's clock (cold visit / warm visit): upload → the script run starts "
                f"{duration(m['cold_browser_upload_to_run_start'])} / {duration(m['warm_browser_upload_to_run_start'])}; the run "
                f"(server: decode, detect, classify, draw, saliency maps) {duration(m['cold_browser_run'])} / "
                f"{duration(m['warm_browser_run'])}; run end → chart drawn {duration(m['cold_browser_run_end_to_chart'])} / "
                f"{duration(m['warm_browser_run_end_to_chart'])}.")
    steps = dict(app.get("first_prediction_steps") or {})  # a copy: results.json keeps its rss_bytes
    if steps:
        memory = steps.pop("rss_bytes", None)
        lines.append(f"  - A first prediction in a fresh Python process, step by step: {stage_text(steps)}"
                     + (f"; RSS after it {memory / MB:.0f} MB." if memory else "."))
    if tf:
        lines.append(f"  - Baseline: `python -c 'import tensorflow'`, median of {tf['n']}: {duration(tf['seconds'])} to import, "
                     f"{tf['rss_bytes'] / MB:.0f} MB resident.")
    return lines
