"""The Collect page in AppTest: naming classes (and the names refused), the counts and thumbnails of photos stored
for this session, deleting, and "Use these classes" making them the data Train reads. The camera itself is
tested in a real browser (tests/test_browser_collect.py)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from fer_core.data.collected_classes import CollectedClasses
from fer_core.training.runs import uploads_dir

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
FACE = (ROOT / "tests" / "assets" / "astronaut.jpg").read_bytes()
SESSION = "feedc0de00112233"


def collect_page(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("FER_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["collection_id"] = SESSION
    return at.run().switch_page("app_pages/collect.py").run()


def add_class(at: AppTest, name: str) -> AppTest:
    at.text_input(key="collect_new_class").input(name)
    return at.button[[b.label for b in at.button].index("Add class")].click().run()


def test_the_page_says_what_the_classes_are_for(tmp_path, monkeypatch):
    at = collect_page(tmp_path, monkeypatch)
    assert not at.exception
    assert any("tells only these posed classes apart, for the person who posed them" in box.value and
               "not for judging people" in box.value for box in at.info)


def test_naming_classes_refuses_duplicates_and_folder_names_with_a_sentence(tmp_path, monkeypatch):
    at = add_class(collect_page(tmp_path, monkeypatch), "smile")
    assert not at.exception and not at.error
    assert at.radio(key="collect_class").options == ["smile"]
    at = add_class(at, "SMILE")
    assert [e.value for e in at.error] == ["There is already a class called SMILE (capitals aside): choose another "
                                           "name."]
    at = add_class(at, "../up")
    assert any("cannot hold '/'" in e.value for e in at.error)
    at = add_class(at, "[eyes](javascript:x) closed")
    assert not at.error
    # Visitor text is shown as typed, never as a link.
    assert at.radio(key="collect_class").value == "[eyes](javascript:x) closed"
    assert "\\[eyes\\](javascript:x) closed" in at.radio(key="collect_class").options


def test_counts_deleting_and_use_these_classes_make_them_the_data_train_reads(tmp_path, monkeypatch):
    collection = CollectedClasses(uploads_dir(tmp_path / "runs"), SESSION)
    for name in ("smile", "eyes closed"):
        collection.add_class(name)
        for _ in range(5):
            collection.add_photo(name, FACE)
    collection.add_photo("smile", FACE)
    at = collect_page(tmp_path, monkeypatch)
    assert not at.exception
    assert [m.value for m in at.markdown if m.value.startswith("**")] == ["**eyes closed** · 5 photos",
                                                                       "**smile** · 6 photos"]
    assert at.subheader[0].value == "Your classes: 11 photos"
    at.button(key="collect_delete_smile_006.png").click().run()
    assert "**smile** · 5 photos" in [m.value for m in at.markdown]
    assert [p.name for p in collection.photos("smile")] == [f"00{i}.png" for i in range(1, 6)]

    at.button(key="collect_use").click().run()
    assert not at.exception
    assert at.sidebar.radio(key="data_source").value == "camera"
    assert any("Train and Predict now use these classes (eyes closed, smile)" in s.value for s in at.success)
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
    assert any("Classes: eyes closed, smile (2)." in c.value for c in at.caption)
    assert at.radio(key="train_transfer").value == "head"
    at.switch_page("app_pages/explore.py").run()  # the collection reads as any data does
    assert not at.exception and not at.error

    at.switch_page("app_pages/collect.py").run()
    at.button(key="collect_delete_all").click().run()
    assert not collection.entry.exists()
    assert [s.value for s in at.success] == ["All your photos and classes are deleted from the server."]
    assert not at.warning  # deleted because asked, not evicted


def test_photos_evicted_from_the_store_are_said_to_be_gone(tmp_path, monkeypatch):
    collection = CollectedClasses(uploads_dir(tmp_path / "runs"), SESSION)
    collection.add_class("smile")
    collection.add_photo("smile", FACE)
    at = collect_page(tmp_path, monkeypatch)
    collection.delete_all()  # as evict_oldest does, when newer uploads need the room
    at.run()
    assert any("Your photos are no longer on the server" in w.value for w in at.warning)


def test_classes_not_ready_say_why_where_they_are_used(tmp_path, monkeypatch):
    collection = CollectedClasses(uploads_dir(tmp_path / "runs"), SESSION)
    collection.add_class("smile")
    collection.add_photo("smile", FACE)
    at = collect_page(tmp_path, monkeypatch)
    assert at.button(key="collect_use").disabled
    assert any("at least two classes: you have 1" in c.value for c in at.caption)
    at.sidebar.radio(key="data_source").set_value("camera").run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert [e.value for e in at.error][:1] == ["Your classes from the camera cannot train yet. A classifier needs at "
                                               "least two classes: you have 1. Add another class and take its photos. "
                                               "Photos are taken on the Collect page."]


def test_the_burst_mode_without_a_stream_server_says_so_and_the_page_goes_on(tmp_path, monkeypatch):
    collection = CollectedClasses(uploads_dir(tmp_path / "runs"), SESSION)
    collection.add_class("smile")
    at = collect_page(tmp_path, monkeypatch)
    at.session_state["collect_mode"] = "burst"
    at.run()
    assert not at.exception
    # AppTest has no server for the stream: a sentence, not a traceback, and the page goes on.
    assert any(w.value.startswith("The live camera cannot run here") and "Take one photo at a time instead." in w.value
               for w in at.warning)
    assert "**smile** · 0 photos" in [m.value for m in at.markdown]
