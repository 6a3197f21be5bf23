"""Batch runs on a Dask cluster (--cluster, FER_CLUSTER): a local cluster of 2 worker processes, started here, writes
the same table as one process does, even when one of its workers is SIGKILLed mid-run: no row lost, none twice."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from cli_fixtures import run_fer_core

from fer_core.batch import analyse_clips, cluster, predict_photos, run
from fer_core.batch.table import summary_path
from fer_core.errors import ClusterError, FERError

distributed = pytest.importorskip("distributed")

ASSETS = Path(__file__).resolve().parent / "assets"
PHOTOS = 30


@pytest.fixture(scope="module")
def local_cluster():
    """A scheduler in this process and 2 worker processes, each under a Nanny that restarts it if it dies."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local, \
            distributed.Client(local) as client:
        client.wait_for_workers(2)
        yield local.scheduler_address, client


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory) -> Path:
    """30 photos: the astronaut and the camera (a face each) and the coffee cup (none), in turn."""
    folder = tmp_path_factory.mktemp("cluster") / "photos"
    folder.mkdir()
    for i in range(PHOTOS):
        shutil.copy(ASSETS / ("astronaut.jpg", "camera.jpg", "coffee.jpg")[i % 3], folder / f"p{i:02d}.jpg")
    return folder


@pytest.fixture(scope="module")
def one_process_table(photo_folder) -> pd.DataFrame:
    return predict_photos([photo_folder], workers=1)


def test_a_worker_killed_mid_run_loses_no_row_and_writes_none_twice(local_cluster, photo_folder, one_process_table,
                                                                    tmp_path):
    address, client = local_cluster
    workers = client.run(os.getpid)  # worker address → its process id
    killed = []

    def kill_a_busy_worker(done: int, total: int) -> None:
        if done == 6 and not killed:  # a fifth of the way: the worker killed holds files, which are run again
            busy = [worker for worker, keys in client.processing().items() if keys]
            killed.append(workers[busy[0]])
            os.kill(killed[0], signal.SIGKILL)

    table = tmp_path / "faces.csv"
    frame = predict_photos([photo_folder], out=table, cluster=address, progress=kill_a_busy_worker)
    assert killed, "the run ended before a worker was killed"
    pd.testing.assert_frame_equal(frame, one_process_table, check_exact=False, atol=1e-4)
    summary = pd.read_csv(summary_path(table, "csv"))
    assert len(summary) == PHOTOS and summary["file"].is_unique
    assert list(summary["file"]) == [str(photo_folder / f"p{i:02d}.jpg") for i in range(PHOTOS)]
    client.wait_for_workers(2)  # the Nanny started a fresh worker in the killed one's place
    assert killed[0] not in client.run(os.getpid).values()


def test_the_command_runs_on_the_cluster_named_by_fer_cluster(local_cluster, photo_folder, one_process_table, tmp_path,
                                                               monkeypatch):
    address, _ = local_cluster
    monkeypatch.setenv("FER_CLUSTER", address)
    result = run_fer_core("predict", photo_folder, "--table", tmp_path / "faces.jsonl", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"wrote {tmp_path / 'faces.jsonl'}: 20 faces from 30")
    written = pd.read_json(tmp_path / "faces.jsonl", lines=True)
    assert list(written["file"]) == list(one_process_table["file"])
    refused = run_fer_core("predict", photo_folder, "--table", tmp_path / "again.csv", "--workers", "2",
                           "--cluster", address, cwd=tmp_path)
    assert refused.returncode == 2 and "leave --workers out" in refused.stderr


def test_without_dask_the_sentence_says_what_to_install(photo_folder, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails, as where it is missing
    with pytest.raises(ClusterError, match=r"pip install 'fer-studio\[cluster\]'"):
        predict_photos([photo_folder], out=tmp_path / "faces.csv", cluster="tcp://127.0.0.1:8786")
    assert issubclass(ClusterError, FERError) and not list(tmp_path.glob("faces*"))  # no table left to --resume


def test_an_address_that_is_not_one_is_refused_with_an_example(photo_folder, tmp_path):
    with pytest.raises(ClusterError, match=r"such as tcp://HOST:8786, not 'scheduler' \(missing port"):
        predict_photos([photo_folder], out=tmp_path / "faces.csv", cluster="scheduler")
    assert not list(tmp_path.glob("faces*"))


def test_clips_on_the_cluster_give_the_rows_of_a_local_run(local_cluster, crossing_clip, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("one.mp4", "two.mp4"):
        shutil.copy(crossing_clip, folder / name)
    address, _ = local_cluster
    on_cluster = analyse_clips([folder], fps=4, out=tmp_path / "people.parquet", cluster=address)
    pd.testing.assert_frame_equal(on_cluster, analyse_clips([folder], fps=4, workers=1), check_exact=False,
                                  atol=1e-4)
    assert set(on_cluster["person"]) == {1, 2} and on_cluster["file"].nunique() == 2


def test_a_worker_loads_the_model_once_and_names_each_file_as_the_client_did(monkeypatch, tmp_path):
    loads = []
    monkeypatch.setattr(run, "_start_worker", lambda model, threads: loads.append((model, threads)))
    worker = SimpleNamespace(state=SimpleNamespace(nthreads=2))
    monkeypatch.setattr(distributed, "get_worker", lambda: worker)
    monkeypatch.setattr(cluster, "_loaded_model", None)

    def task(path):
        return str(path), [{"file": str(path), "face": 1}], {"file": str(path), "status": "faces"}

    for name in ("a.jpg", "b.jpg", "c.jpg"):
        file, rows, summary = cluster._analyse_on_worker(task, tmp_path / "m.keras", tmp_path / name, name)
        assert file == rows[0]["file"] == summary["file"] == name
    cluster._analyse_on_worker(task, tmp_path / "other.keras", tmp_path / "d.jpg", "d.jpg")
    assert loads == [(tmp_path / "m.keras", 2), (tmp_path / "other.keras", 2)]  # once per model, with the worker's threads
