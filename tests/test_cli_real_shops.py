"""Every engine, run from the command line on an empty shop and on a one-file shop built
by the importer, ends in results or one sentence (exit 0 or 2), never an internal error.

This is what a new owner meets first: `barberbi run` right after the first import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_helpers import FIXTURES

ENGINES = ["kpi", "ltv", "revenue", "methodology"]


def _barberbi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "barberbi_desktop", *args],
        capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-shops")
    header = FIXTURES / "template_week1.csv"
    empty_file = folder / "header-only.csv"
    empty_file.write_text(header.read_text().splitlines()[0] + "\n")
    empty, one = folder / "empty.db", folder / "one.db"
    refused = _barberbi("--db", str(empty), "import", str(empty_file))
    assert refused.returncode == 2 and "no rows" in refused.stderr
    landed = _barberbi("--db", str(one), "import", str(FIXTURES / "fresha.csv"))
    assert landed.returncode == 0, landed.stderr
    return {"empty": empty, "one": one}


@pytest.mark.parametrize("shop", ["empty", "one"])
@pytest.mark.parametrize("engine", ENGINES)
def test_run_ends_in_results_or_one_sentence(shops: dict[str, Path], shop: str,
                                             engine: str) -> None:
    done = _barberbi("--db", str(shops[shop]), "run", engine)
    assert "internal error" not in done.stderr, done.stderr
    assert done.returncode in (0, 2), done.stderr
    if done.returncode == 2:
        said = done.stderr.strip().splitlines()
        assert len(said) == 1 and said[0].endswith("."), said
    else:
        assert done.stdout.strip()


def test_run_all_runs_every_engine_that_has_enough_data(shops: dict[str, Path]) -> None:
    done = _barberbi("--db", str(shops["one"]), "run", "all")
    assert done.returncode == 0, done.stderr
    assert "ltv: not run: Not enough visit history" in done.stdout
    assert "Business health" in done.stdout and "Six Figure Barber score" in done.stdout
