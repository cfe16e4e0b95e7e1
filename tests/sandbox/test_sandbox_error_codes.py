"""The sandbox answers with documented error codes only: every code it raises is read from its
source (PCError(status, code ...), cart line errors, code tables) and looked up in what Microsoft
publishes, page by page."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import app.sandbox

_PAGE = "https://learn.microsoft.com/partner-center/developer/"

# code -> where Microsoft documents it
DOCUMENTED = {
    **{code: _PAGE + "error-codes" for code in (
        1000, 2002, 2011, 2055, 2072, 3000, 13605, 20000, 20002, 20003, 60003, 400013, 400018, 400019,
        600002, 600049, 600050, 600051, 800002, 800003, 800008, 800015, 800016, 800064, 800065, 800070,
        800073, 800074, 800075, 800082, 800090, 800091, 800093, 800121, 900213, 900214, 900257, 900269,
        900308, 900329)},
    2007: _PAGE + "validate-an-address",
    **{code: _PAGE + "verify-indirect-reseller-mpa-status" for code in range(2200, 2207)},
    600061: _PAGE + "confirm-customer-consent-customer-agreement",
    3000: _PAGE + "get-partner-network-profile",
    900421: "https://learn.microsoft.com/partner-center/security/partner-security-requirements-mandating-mfa",
    # Cart line errors: the SDK's CartErrorCode values
    **{code: "https://learn.microsoft.com/dotnet/api/microsoft.store.partnercenter.models.carts.enums.carterrorcode"
       for code in range(10000, 10020)},
}

# PCError(400, CODE ...), _line_error(CODE ...), error_body(CODE ...), and (CODE, "text") table rows
_RAISED = re.compile(r"(?:PCError\(\s*\d{3},\s*|_line_error\(\s*|error_body\(\s*)([A-Z_][A-Z_0-9]*|\d+)\b")
_TABLE_ROW = re.compile(r"\(\s*(\d{4,6}),\s*[\"']")


def _codes_in(module) -> dict[int, str]:
    source = inspect.getsource(module)
    found = {}
    for match in _RAISED.finditer(source):
        token = match.group(1)
        value = int(token) if token.isdigit() else getattr(module, token)
        found[int(value)] = f"{module.__name__}: {token}"
    for match in _TABLE_ROW.finditer(source):
        found[int(match.group(1))] = f"{module.__name__}: table row {match.group(1)}"
    return found


def test_every_error_code_the_sandbox_answers_is_documented():
    used = {}
    for info in pkgutil.iter_modules(app.sandbox.__path__):
        used.update(_codes_in(importlib.import_module(f"app.sandbox.{info.name}")))
    used.update(_codes_in(app.sandbox))
    assert 2055 in used and 800002 in used  # the scan sees what it should
    invented = {code: where for code, where in used.items() if code not in DOCUMENTED}
    assert not invented, f"codes Microsoft does not document: {invented}"
