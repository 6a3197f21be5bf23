"""The benchmarks' review: the bench opens real pages of the app, reads the machine from fields, and renders its
report from results.json alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.source_util import page_icon_and_name

from bench.app_urls import page_url, url_path
from ui.pages import EXPLORE, HOME, PAGES, PREDICT, VIDEO

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("page", [PREDICT, EXPLORE, VIDEO], ids=lambda page: page.title)
def test_each_page_the_bench_opens_has_the_url_streamlit_gives_it(page):
    assert (REPO / page.path).is_file()
    assert url_path(page) != ""
    assert url_path(page) == page_icon_and_name(REPO / page.path)[1]  # Streamlit's own derivation from the file
    assert page_url("http://127.0.0.1:8501", page) == f"http://127.0.0.1:8501/{url_path(page)}"


def test_home_is_the_apps_root():
    assert page_url("http://127.0.0.1:8501", HOME) == "http://127.0.0.1:8501/"


def test_no_bench_module_spells_a_page_url_itself():
    titles = "|".join(Path(page.path).stem for page in PAGES)
    for module in (REPO / "bench").glob("*.py"):
        assert not re.search(rf"""goto\(f?["'][^"']*/({titles})\b""", module.read_text()), module.name


def test_results_md_is_rendered_from_results_json_alone():
    from bench.report import results_markdown

    results = json.loads((REPO / "bench" / "results.json").read_text())
    assert results_markdown(results, results.get("quick", False)) == (REPO / "bench" / "results.md").read_text()


def test_the_machine_block_formats_fields():
    from bench.report.machine import machine_block

    machine = {"cpu": "Some CPU", "cpu_family": "6", "cpu_model_number": "167", "cpu_extensions": [], "cores": 2,
               "memory_gib": 8.0, "os": "Linux 6", "python": "3.11.7", "packages": {"numpy": "2"},
               "browser": "Chromium 1", "date": "2026-12-04 17:00 UTC", "load_average_at_start": [0.5, 1.25, 2.0],
               "other_busy_processes_at_start": []}
    block = machine_block(machine)
    assert "- CPU: Some CPU (family 6 model 167; no AVX2), 2 cores; RAM 8.0 GiB; Linux 6" in block
    assert "load average at start 0.50 1.25 2.00; other busy processes at start: none" in block


def test_a_new_card_says_what_trained_it_as_fields():
    from fer_core.training.model_card import _machine, hardware

    trained_on = hardware()
    assert set(trained_on) == {"backend", "device_kind", "device_name", "devices", "hosts", "cpu", "cores"}
    assert trained_on["devices"] >= 1 and trained_on["hosts"] >= 1 and trained_on["cores"] >= 1
    assert _machine().endswith(f"on {trained_on['backend']} (CPU)" if trained_on["device_kind"] == "cpu"
                               else f"({trained_on['device_name']})")


@pytest.mark.parametrize("card", sorted((REPO / "models").glob("*.json")), ids=lambda path: path.name)
def test_every_shipped_card_has_the_hardware_fields(card):
    from bench.report.training import trained_on_accelerator

    hardware = json.loads(card.read_text())["card"]["hardware"]
    assert hardware["device_kind"] in ("cpu", "gpu")
    assert trained_on_accelerator(hardware) == (card.name == "fer_studio.json")  # the one trained on an H100


def test_recorded_runs_are_read_through_the_run_folder(tmp_path):
    from bench.training_epoch import recorded_runs
    from fer_core.atomic import write_json_atomically
    from fer_core.training.runs import TrainingRun

    run = TrainingRun(tmp_path / "20261204-170000-fer_fast")
    run.path.mkdir()
    write_json_atomically(run.config_file, {"arch": "fer_fast", "batch_size": 128, "balance": "none", "epochs": 2})
    run.write_status("finished")
    for epoch in (1, 2):
        run.append_epoch({"epoch": epoch, "seconds": 30.0 + epoch})
    card = {"card": {"hardware": {"backend": "jax", "device_kind": "gpu", "device_name": "GPU X"}}}
    write_json_atomically(run.final_model_file.with_suffix(".json"), card)
    [recorded] = recorded_runs(tmp_path)
    assert recorded["run"] == run.name and recorded["state"] == "finished" and recorded["epochs_done"] == 2
    assert recorded["epoch_seconds"]["median"] == 31.5 and recorded["hardware"]["device_name"] == "GPU X"


def test_a_fresh_process_reports_its_own_memory():
    from bench.measure import in_fresh_process

    measured = in_fresh_process("import json, sys; from bench.measure import own_rss_bytes as rss; "
                                "print(json.dumps({'rss': rss(), 'peak': rss('VmHWM'), 'arg': sys.argv[1]}))", "x")
    assert measured["arg"] == "x" and 0 < measured["rss"] <= measured["peak"]


def test_every_methods_paragraph_is_used_by_the_report():
    headings = set(re.findall(r"^## (.+)$", (REPO / "bench" / "methods.md").read_text(), flags=re.M))
    used = set()
    for module in (REPO / "bench" / "report").glob("*.py"):
        used |= set(re.findall(r"""method\(\s*"([^"]+)\"""", module.read_text()))
    assert used == headings
