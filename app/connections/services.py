"""Which Partner Center the storefront talks to, and one client per configured instance.

Sandbox mode (the default): one instance, "default", answered by the built-in sandbox. The
sandbox runs in-process (its WSGI app is called through an httpx transport, and mounted at
/sandbox for browsers), or standalone at PARTNER_CENTER_SANDBOX_URL. MSAL and the client run
unmodified either way; only their transports differ.

Live mode: the instances the operator configured in admin, with secrets decrypted here.
"""
from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from app.connections.models import PartnerCenterInstance
from app.extensions import db
from app.partner_center import HostRewriteTransport, InstanceConfig, PartnerCenterClient, RewritingMsalHttpClient
from app.web.secrets import decrypt, encrypt

DEFAULT_INSTANCE = "default"
SANDBOX_MOUNT = "/sandbox"

_lock = threading.RLock()  # re-entrant: get_client builds the sandbox under it


class UnknownInstance(LookupError):
    pass


def sandbox_mode(app: Flask | None = None) -> bool:
    return (app or current_app).config["PARTNER_CENTER_MODE"] == "sandbox"


def sandbox_settings(app: Flask) -> dict:
    """The sandbox's settings as the storefront sees them (environment first, then its defaults)."""
    from app.partner_center.sandbox.config import load_config

    overrides = {
        "SANDBOX_DATA_DIR": os.environ.get("SANDBOX_DATA_DIR") or os.path.join(app.instance_path, "sandbox"),
        "SANDBOX_PUBLIC_URL": app.config["PUBLIC_URL"].rstrip("/") + SANDBOX_MOUNT,
    }
    overrides.update(app.config.get("SANDBOX_CONFIG") or {})
    return load_config(overrides)


def in_process_sandbox(app: Flask):
    """The in-process sandbox WSGI app of this storefront process (built once, on first use)."""
    sandbox = app.extensions.get("partner_center_sandbox")
    if sandbox is None:
        with _lock:
            sandbox = app.extensions.get("partner_center_sandbox")
            if sandbox is None:
                from app.partner_center.sandbox import create_app as create_sandbox

                sandbox = create_sandbox(sandbox_settings(app))
                app.extensions["partner_center_sandbox"] = sandbox
    return sandbox


def sandbox_url(app: Flask | None = None) -> str:
    """Where a person's browser reaches the sandbox pages."""
    app = app or current_app
    return app.config.get("PARTNER_CENTER_SANDBOX_URL") or app.config["PUBLIC_URL"].rstrip("/") + SANDBOX_MOUNT


def instance_names() -> list[str]:
    if sandbox_mode():
        return [DEFAULT_INSTANCE]
    return list(db.session.scalars(db.select(PartnerCenterInstance.name).order_by(PartnerCenterInstance.name)))


def instance_config(name: str = DEFAULT_INSTANCE) -> InstanceConfig:
    app = current_app._get_current_object()
    if sandbox_mode(app):
        if name != DEFAULT_INSTANCE:
            raise UnknownInstance(f"Sandbox mode has one Partner Center instance, {DEFAULT_INSTANCE!r}, not {name!r}.")
        s = sandbox_settings(app)
        return InstanceConfig(name=DEFAULT_INSTANCE, tenant_id=s["SANDBOX_TENANT_ID"], client_id=s["SANDBOX_CLIENT_ID"],
                              client_secret=s["SANDBOX_CLIENT_SECRET"], refresh_token=s["SANDBOX_REFRESH_TOKEN"],
                              **app.config.get("PARTNER_CENTER_CLIENT_OPTIONS", {}))
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name))
    if row is None:
        raise UnknownInstance(f"No Partner Center instance named {name!r} is configured (admin > Partner Center).")
    return InstanceConfig(name=row.name, cloud=row.cloud, tenant_id=row.tenant_id, client_id=row.client_id,
                          client_secret=decrypt(row.client_secret_encrypted),
                          refresh_token=decrypt(row.refresh_token_encrypted) if row.refresh_token_encrypted else None,
                          **app.config.get("PARTNER_CENTER_CLIENT_OPTIONS", {}))


def build_client(config: InstanceConfig, app: Flask | None = None) -> PartnerCenterClient:
    app = app or current_app._get_current_object()
    if not sandbox_mode(app):
        return PartnerCenterClient(config)
    standalone = app.config.get("PARTNER_CENTER_SANDBOX_URL")
    if standalone:
        return PartnerCenterClient(config, transport=HostRewriteTransport(standalone),
                                   msal_http_client=RewritingMsalHttpClient(standalone))
    from app.partner_center.sandbox import SandboxMsalHttpClient, SandboxTransport

    transport = SandboxTransport(in_process_sandbox(app))
    return PartnerCenterClient(config, transport=transport, msal_http_client=SandboxMsalHttpClient(transport))


def get_client(name: str = DEFAULT_INSTANCE) -> PartnerCenterClient:
    """The client of an instance, shared by this process (it is thread-safe and caches its tokens)."""
    app = current_app._get_current_object()
    config = instance_config(name)
    clients: dict = app.extensions.setdefault("partner_center_clients", {})
    options = tuple(sorted((app.config.get("PARTNER_CENTER_CLIENT_OPTIONS") or {}).items()))
    key = (name, config.tenant_id, config.client_id, config.client_secret, config.refresh_token, config.cloud, options)
    with _lock:
        client = clients.get(key)
        if client is None:
            for old_key in [k for k in clients if k[0] == name]:
                clients.pop(old_key).close()
            client = clients[key] = build_client(config, app)
    return client


def save_instance(*, name: str, cloud: str, tenant_id: str, client_id: str, client_secret: str | None,
                  refresh_token: str | None) -> PartnerCenterInstance:
    """Create or update a live instance; a blank secret or refresh token keeps the stored one."""
    row = db.session.scalar(db.select(PartnerCenterInstance).where(PartnerCenterInstance.name == name))
    if row is None:
        if not client_secret:
            raise ValueError("A new instance needs its client secret.")
        row = PartnerCenterInstance(name=name)
        db.session.add(row)
    row.cloud, row.tenant_id, row.client_id = cloud, tenant_id.strip().lower(), client_id.strip().lower()
    if client_secret:
        row.client_secret_encrypted = encrypt(client_secret)
    if refresh_token:
        row.refresh_token_encrypted = encrypt(refresh_token)
    return row
