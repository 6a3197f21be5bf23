"""`python -m bench`: every benchmark, each in a fresh process, then bench/results.md and bench/results.json.

    python -m bench                        # full suite on ../shared/data/fer2013/fer2013.csv.gz (~15 min)
    python -m bench --data PATH            # another copy of FER2013
    python -m bench --quick                # tiny inputs (the repo's sample), results under bench/.cache/
    python -m bench --only prediction,app  # some sections; the others keep their last figures
    python -m bench --only video           # the video section alone (~10 min)
    python -m bench --only own_classes     # your own classes from 20 photos each (~3 min)
    python -m bench --only load_memory     # server memory loading the full FER2013 as .csv, .gz, .zip, .tar.gz (~5 min)
    python -m bench --only face_framing    # faces that fill the frame, phantom faces, framing, turned and covered faces
    python -m bench --only estimates       # the Train page's estimate before Start vs the real job, 4 kinds (~8 min)
    python -m bench --only batch           # a folder of 2,000 photos and one of clips into one table (~6 min)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .machine import describe_machine
from .measure import CACHE, DEFAULT_DATA, REPO, SAMPLE_DATA, OtherProcessesClock, busy_processes
from .report import build_rows, results_markdown, table

SECTIONS = {"parse": "bench.parse_csv", "cpu_training": "bench.cpu_training", "training": "bench.training_epoch",
            "prediction": "bench.prediction", "app": "bench.app_start", "video": "bench.video", "hosted": "bench.hosted",
            "own_classes": "bench.own_classes", "load_memory": "bench.load_memory", "face_framing": "bench.face_framing",
            "estimates": "bench.estimates", "batch": "bench.batch"}
SECTION_TIMEOUT_SECONDS = 40 * 60


def run_section(name: str, data: Path, quick: bool) -> dict:
    """One section in its own Python process, so no import or cache of one leaks into another's figures."""
    CACHE.mkdir(parents=True, exist_ok=True)
    out, log = CACHE / f"{name}.json", CACHE / f"{name}.log"
    out.unlink(missing_ok=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "FER_CACHE_DIR": str(CACHE / "datasets")}
    busy = busy_processes()
    command = [sys.executable, "-m", "bench", "--section", name, "--data", str(data), "--json", str(out)]
    start = time.perf_counter()
    with open(log, "w") as handle:
        # Its own session, so everything it starts (server, browser) is told apart from the rest of the machine.
        section = subprocess.Popen(command + (["--quick"] if quick else []), cwd=REPO, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        with OtherProcessesClock(section.pid) as others:
            try:
                code = section.wait(timeout=SECTION_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(section.pid, signal.SIGKILL)
                section.wait()
                code = "timeout"
    seconds = time.perf_counter() - start
    if code == 0 and out.exists():
        result = json.loads(out.read_text())
    else:
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        result = {"error": f"exit {code}; see {log.relative_to(REPO)}:\n" + "\n".join(tail)}
    result["section_seconds"] = seconds
    result["measured_at"] = time.strftime("%Y-%m-%d %H:%M %Z")
    result["busy_at_start"] = busy
    result["other_cpu_share"] = others.seconds / seconds  # a training job or test run beside it spoils the figures
    return result


def write_results(results: dict, quick: bool, markdown: Path) -> str:
    markdown.write_text(results_markdown(results, quick))
    markdown.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    return table(build_rows(results), quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help=f"FER2013 CSV (default {DEFAULT_DATA}; the repo's sample with --quick)")
    parser.add_argument("--quick", action="store_true", help="tiny inputs and few repeats: checks the suite runs")
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--section", choices=SECTIONS, help=argparse.SUPPRESS)  # one section, in this process
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = (args.data or (SAMPLE_DATA if args.quick else DEFAULT_DATA)).resolve()
    if not data.exists():
        parser.error(f"{data} does not exist; pass --data PATH to FER2013's CSV.")

    if args.section:
        result = importlib.import_module(SECTIONS[args.section]).run(data, args.quick)
        args.json.write_text(json.dumps(result, indent=2, default=str))
        return 0

    wanted = args.only.split(",") if args.only else list(SECTIONS)
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    markdown = CACHE / "results-quick.md" if args.quick else REPO / "bench" / "results.md"
    CACHE.mkdir(parents=True, exist_ok=True)
    previous = {}
    if args.only and markdown.with_suffix(".json").exists():
        previous = json.loads(markdown.with_suffix(".json").read_text()).get("sections", {})
    results = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "data": str(data),
        "quick": args.quick,
        "machine": describe_machine(),
        "sections": previous,
    }
    for name in wanted:
        print(f"[bench] {name}…", file=sys.stderr, flush=True)
        results["sections"][name] = run_section(name, data, args.quick)
        error = results["sections"][name].get("error")
        print(f"[bench] {name}: {'failed, ' + error.splitlines()[0] if error else 'done'} "
              f"({results['sections'][name]['section_seconds']:.0f} s)", file=sys.stderr, flush=True)
    parse = results["sections"].get("parse", {})
    results["data_rows"] = f"{parse['rows']:,} rows" if "rows" in parse else "rows not counted"
    print(write_results(results, args.quick, markdown))
    print(f"\nwrote {markdown.relative_to(REPO)} and {markdown.with_suffix('.json').relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
