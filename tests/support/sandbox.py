"""Acting as Microsoft's side: a customer's global administrator accepting a relationship request."""
from __future__ import annotations

import httpx
from bs4 import BeautifulSoup


def accept_relationship(where, link: str, domain: str | None = None, *, tenant_id: str | None = None) -> str:
    """A simulated global administrator of the customer (named by `tenant_id`, or by `domain` in the
    in-process sandbox) opens the relationship request link in the sandbox's admin-center page and
    presses Accept; returns the tenant id.

    `where` is the storefront app (its in-process sandbox, mounted at /sandbox) or the base URL of a
    served sandbox. The page is read first, as a browser would: its form carries the sandbox's CSRF
    token, and the same client keeps the token's cookie for the post."""
    path = httpx.URL(link).raw_path.decode()  # path and query; the fragment stays in the browser
    if isinstance(where, str):
        with httpx.Client(base_url=where, timeout=30) as browser:
            return _accept(browser, path, tenant_id)

    from werkzeug.test import Client as WsgiClient

    from app.connections.services import in_process_sandbox
    from app.serving import storefront_wsgi

    if tenant_id is None:
        tenant_id = in_process_sandbox(where).extensions["sandbox_store"].tenant_by_domain(domain)["id"]
    return _accept(WsgiClient(storefront_wsgi(where)), path, tenant_id)


def _accept(browser, path: str, tenant_id: str) -> str:
    page = browser.get(path)
    assert page.status_code == 200, page.text[:500]
    token = BeautifulSoup(page.text, "html.parser").select_one("form input[name=sandbox_csrf]")["value"]
    response = browser.post(path, data={"sandbox_csrf": token, "tenantId": tenant_id})
    assert response.status_code == 200, response.text[:500]
    return tenant_id
