"""Citations in the code resolve inside the repository (docs/README.md).

Comments and docstrings cite files under docs/. The product specification and the
architecture notes they once cited are not part of the repository, so someone who clones it
could not follow such a citation; and a cited docs/ file that was renamed or never written
leaves the reader just as lost.
"""

import re
import subprocess
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# Spelled in two parts so that this file does not cite them itself.
OUTSIDE_FILES = re.compile(r"\b(?:PRODUCT|ARCHITECTURE)" + r"\.md\b")
DOCS_PATH = re.compile(r"\bdocs/[\w./-]+?\.md\b")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def tracked_text_files() -> dict[str, str]:
    """Path → text of every file git tracks, binary files left out."""
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=BASE_DIR, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    files = {}
    for name in filter(None, names):
        path = BASE_DIR / name
        if path.is_file():
            try:
                files[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return files


def test_no_file_outside_docs_cites_files_that_are_not_in_the_repository():
    citing = [
        f"{name}:{number}: {line.strip()}"
        for name, text in tracked_text_files().items()
        if not name.startswith("docs/") and name != "README.md"
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE_FILES.search(line)
    ]

    assert not citing, "cite the file under docs/ instead:\n" + "\n".join(citing)


def test_every_cited_docs_path_exists():
    missing = [
        f"{name}: {cited}"
        for name, text in tracked_text_files().items()
        for cited in sorted(set(DOCS_PATH.findall(text)))
        if not (BASE_DIR / cited).is_file()
    ]

    assert not missing, "cited but not in docs/:\n" + "\n".join(missing)


def test_every_relative_link_between_docs_resolves():
    broken = [
        f"{name}: {target}"
        for name, text in tracked_text_files().items()
        if name.startswith("docs/") and name.endswith(".md")
        for target in MARKDOWN_LINK.findall(text)
        if "://" not in target and not (BASE_DIR / name).parent.joinpath(target).exists()
    ]

    assert not broken, "links to nothing:\n" + "\n".join(broken)
