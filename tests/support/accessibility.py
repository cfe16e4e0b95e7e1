"""axe-core in a page (the WCAG 2.1 A and AA rules), the pages to walk, and a browser with JavaScript off
that axe can still run in."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.support.isolation import Scene, build_scene

AXE_JS = Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
  result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: n.failureSummary}))})))"""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    """What axe finds against WCAG 2.1 A and AA in the page as it is now, one line per element.

    axe is evaluated through the DevTools protocol (not a <script> tag), so a page whose own scripts
    are switched off by a Content-Security-Policy is checked too."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found = []
    for violation in page.evaluate(_RUN, WCAG_21_AA):
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']}: {node['target']} "
                         f"{node['html']!r}: {summary}")
    return found


def without_page_scripts(route):
    """Serve a document as a browser with JavaScript off shows it, in a context where axe can still run.

    axe needs JavaScript, and Chromium with JavaScript disabled runs no timers for it; so the page's
    own scripts are kept off by a Content-Security-Policy allowing none, and <noscript> content (which
    a scripting browser parses as text) is unwrapped to be checked as it is shown. A redirect is passed
    on as it is, and Chromium does not route its target: go to pages that answer themselves."""
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)
    headers = {**response.headers, "content-security-policy": "script-src 'none'"}
    body = response.body()
    if "text/html" in headers.get("content-type", ""):
        body = body.replace(b"<noscript>", b"<div data-noscript>").replace(b"</noscript>", b"</div>")
    route.fulfill(status=response.status, headers=headers, body=body)


@dataclass
class WalkScene:
    isolation: Scene  # reseller A's objects, as the isolation test uses them
    product_id: str  # a product of the demo catalog


def build_walk_scene() -> WalkScene:
    """Reseller A's objects of tests/support/isolation.py, and an open checkout at the review step for
    reseller A (for Fabrikam) and for the direct customer, so every step of the wizard has a page."""
    from app.accounts.models import Licensee, User
    from app.catalog.models import Product
    from app.extensions import db
    from tests.factories import DraftFactory

    scene = build_scene(db)
    earlier_steps = ["customer", "service", "company", "agreement"]
    for email, licensee_name in (("reseller@example.com", "Fabrikam, Inc."), ("customer@example.com", None)):
        user = db.session.scalar(db.select(User).where(User.email == email))
        licensee = (db.session.scalar(db.select(Licensee).where(Licensee.company_name == licensee_name))
                    if licensee_name else None)
        DraftFactory(user=user, licensee=licensee, completed_steps=earlier_steps, domain_prefix="walkthrough",
                     address_line1="1 Microsoft Way", city="Redmond", state="WA", postal_code="98052",
                     company_phone="+1 425 555 0100")
    product = db.session.scalars(db.select(Product).order_by(Product.id)).first()
    return WalkScene(scene, product.product_id)
