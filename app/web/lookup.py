"""Loading the object a URL names: a view that finds nothing (or nothing the signed-in account may
see: the finders are scoped) answers 404, never whether the object exists elsewhere."""
from __future__ import annotations

from typing import TypeVar

from flask import abort

T = TypeVar("T")


def found_or_404(found: T | None) -> T:
    """`found`, or a 404 when a finder returned None."""
    if found is None:
        abort(404)
    return found
