from __future__ import annotations


def accept_relationship(app, link: str, domain: str):
    """A simulated global administrator of `domain` opens the link and presses Accept."""
    from bs4 import BeautifulSoup
    from werkzeug.test import Client as WsgiClient

    from app.connections.services import in_process_sandbox
    from app.web.serving import storefront_wsgi

    store = in_process_sandbox(app).extensions["sandbox_store"]
    tenant = store.tenant_by_domain(domain)
    path = link.split("127.0.0.1:5000", 1)[1].split("#")[0]
    browser = WsgiClient(storefront_wsgi(app))  # keeps the sandbox's CSRF cookie between the two requests
    page = BeautifulSoup(browser.get(path).get_data(as_text=True), "html.parser")
    token = page.select_one("form input[name=sandbox_csrf]")["value"]
    response = browser.post(path, data={"sandbox_csrf": token, "tenantId": tenant["id"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return tenant["id"]
