"""The layer contracts in pyproject.toml (docs/architecture-layers.md) hold for the code, and
each import the layering step removed would break them again, so `make lint` fails on it.

The wrong imports are written into a copy of the apps, never into the working tree;
lint-imports runs there with the project's own pyproject.toml.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
LAYERS = "Layers, from console down to the kernel"
READS = "Reads (selectors, rules) never import writes (services)"


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in CONFIG["root_packages"]:
        shutil.copytree(
            BASE_DIR / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def test_the_code_keeps_every_contract():
    result = _lint_imports(BASE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        # The admin pages once imported deals and pipelines from accounts.
        ("accounts/views.py", "from deals.services.handover import user_offboard", LAYERS),
        ("pipelines/views.py", "from deals.services.stage_removal import stage_remove", LAYERS),
        # The kernel once imported accounts for the role.
        ("pipelinecrm/api_base.py", "from accounts.models import Role", LAYERS),
        # Deals once asked forecasting to write its notifications.
        ("deals/services/editing.py", "from forecasting.tasks import apply_retention", LAYERS),
        # The deals' timeline is the webhooks' outbox: deals ring the dispatcher by task
        # name, never by import (docs/domain/webhooks.md).
        ("deals/services/events.py", "from integrations.dispatch import dispatch_events", LAYERS),
        # Reads once imported the checklist writes, and the forecast's helpers from services.
        (
            "deals/selectors/board.py",
            "from deals.services.checklist import checklist_item_check",
            READS,
        ),
        (
            "forecasting/dashboards/home.py",
            "from forecasting.services.forecast import BATCH_SIZE",
            READS,
        ),
    ],
)
def test_a_wrong_import_breaks_its_contract(project_copy, module, wrong_import, contract):
    path = project_copy / module
    path.write_text(path.read_text() + f"\n{wrong_import}\n")

    result = _lint_imports(project_copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout
    assert wrong_import.split()[1] in result.stdout
