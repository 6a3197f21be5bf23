"""The suite's own hygiene: collecting the tests must not load TensorFlow into the test process. Beside TensorFlow's
BoringSSL, importing streamlit-webrtc's libsrtp (the Collect page's camera tests) crashes the process, so a module
that imports Keras at its top would take every later test down with it."""

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

COLLECT_EACH = """
import importlib, pathlib, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
for path in sorted(pathlib.Path(sys.argv[2]).glob("test_*.py")):
    importlib.import_module(path.stem)
    if "tensorflow" in sys.modules:
        print(path.name)
        break
"""


def test_no_test_module_loads_tensorflow_when_it_is_collected():
    found = subprocess.run([sys.executable, "-c", COLLECT_EACH, str(TESTS.parent), str(TESTS)], capture_output=True,
                           text=True, timeout=300, check=True).stdout.strip()
    assert found == "", f"{found} imports TensorFlow (through Keras) at its top: import it inside the test"
