"""The README and docs/ as a newcomer meets them: the two set-up commands are what CI runs, every relative link and
anchor leads somewhere, and no page suggests reading the emotions of pupils or workers."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # a '#' in a code block is no heading
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(target)
    assert broken == []


def test_the_readme_set_up_commands_are_what_ci_runs():
    readme = ROOT / "README.md"
    commands = re.findall(r"```sh\n(.*?)\n```", readme.read_text(), flags=re.S)[:2]
    assert commands == ["pip install -r requirements.txt && streamlit run streamlit_app.py",
                        "pip install -r requirements-dev.txt && python -m pytest"]
    ci = (ROOT / ".ci" / "run").read_text()
    # the same, quieter, with the linter first
    assert "pip install -q -r requirements-dev.txt && ruff check . && python -m pytest -q" in ci


def test_no_page_suggests_reading_emotions_in_classrooms_or_workplaces():
    suggestive = re.compile(r"\b(bored|confused|focused|attentive|lectures?|classrooms?|pupils?|employees?)\b", re.I)
    found = []
    for page in [*PAGES, *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        text = page.read_text()
        limits = text.find("## Limitations and responsible use")
        if limits >= 0:  # that section names them to say what not to do
            end = text.find("\n## ", limits + 1)
            text = text[:limits] + text[end if end >= 0 else len(text):]
        found += [f"{page.name}: {match.group(0)}" for match in suggestive.finditer(text)]
    assert found == []
