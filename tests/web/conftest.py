"""Reseller A's objects, for the isolation and role tests of this folder (tests/support/isolation.py)."""
from __future__ import annotations

import pytest

from tests.support.isolation import Scene, build_scene


@pytest.fixture
def scene(demo, db) -> Scene:
    return build_scene(db)
