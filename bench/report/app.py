"""The app from cold to the Predict page's first chart, and the server's memory, against importing TensorFlow."""

from __future__ import annotations

from .format import MB, Row, duration, n_of, not_measured, stage_text
from .methods import method


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
        medians = {key: duration(stats["median"]) for key, stats in start.items()}
        lines.append("- " + method(
            "app", page=app["page"], photo=app["photo"], launch_to_ready=medians["launch_to_ready"],
            ready_to_chart=medians["ready_to_chart"], n=start["launch_to_chart"]["n"],
            children=app["server_processes"] - 1, peak=f"{app['server_peak_rss_bytes']['median'] / MB:.0f}",
            tensorflow=app["tensorflow_loaded_in_server"], litert=app["litert_loaded_in_server"],
            onnxruntime=app["onnxruntime_loaded_in_server"]))
        if "ready_to_connected" in start:
            lines.append("  - " + method("app, step by step", **medians))
            lines.append("  - " + method("app, warm", **medians))
        if "cold_browser_run" in start:
            lines.append("  - " + method("app, browser clock", **medians))
    steps = dict(app.get("first_prediction_steps") or {})  # a copy: results.json keeps its rss_bytes
    if steps:
        memory = steps.pop("rss_bytes", None)
        lines.append(f"  - A first prediction in a fresh Python process, step by step: {stage_text(steps)}"
                     + (f"; RSS after it {memory / MB:.0f} MB." if memory else "."))
    if tf:
        lines.append("  - " + method("app, baseline", n=tf["n"], seconds=duration(tf["seconds"]),
                                     rss=f"{tf['rss_bytes'] / MB:.0f}"))
    return lines
