"""The oldest-dependencies CI run tests what pyproject.toml promises, floor for floor.

CI installs ci/oldest-constraints.txt in a second environment; a floor raised in
pyproject.toml without its pin (or a new dependency without one) would leave the
promise untested while CI stays green.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# Pinned although not a direct dependency: storage/frames.py calls its DB-API; psycopg's
# [binary] extra installs psycopg-binary, the compiled half that must match it.
EXTRA_PINS = {"adbc-driver-manager", "psycopg-binary"}


def _floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors: dict[str, Version] = {}
    for line in project["dependencies"]:
        req = Requirement(line)
        lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert lows, f"pyproject.toml: {line!r} has no >= floor for the oldest CI run to pin"
        name = canonicalize_name(req.name)
        floors[name] = max(floors.get(name, lows[0]), *lows)
    return floors


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for raw in (ROOT / "ci" / "oldest-constraints.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"ci/oldest-constraints.txt: {raw!r} is not an exact pin"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_direct_dependency_is_pinned_to_its_floor() -> None:
    floors, pins = _floors(), _pins()
    assert {n: pins.get(n) for n in floors} == floors
    assert set(pins) - set(floors) == EXTRA_PINS
