from __future__ import annotations


def accept_relationship(app, link: str, domain: str):
    """A simulated global administrator of `domain` opens the link and presses Accept."""
    from werkzeug.test import Client as WsgiClient

    from app.connections.services import in_process_sandbox
    from app.web.serving import storefront_wsgi

    store = in_process_sandbox(app).extensions["sandbox_store"]
    tenant = store.tenant_by_domain(domain)
    path = link.split("127.0.0.1:5000", 1)[1].split("#")[0]
    response = WsgiClient(storefront_wsgi(app)).post(path, data={"tenantId": tenant["id"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return tenant["id"]
