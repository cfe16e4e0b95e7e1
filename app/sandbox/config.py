"""Sandbox settings: each key comes from ``config`` first, then the same-named
environment variable, then the embedded default below."""

from __future__ import annotations

import os

DEFAULTS: dict[str, object] = {
    # The operator's (distributor's) partner tenant id.
    "SANDBOX_TENANT_ID": "8a1f5c2e-3b7d-4e6f-9a0c-1d2e3f4a5b6c",
    # The only client credentials the token endpoint accepts.
    "SANDBOX_CLIENT_ID": "00000000-0000-0000-0000-00000000c11e",
    "SANDBOX_CLIENT_SECRET": "sandbox-secret",
    # The refresh token accepted for App+User (grant_type=refresh_token).
    "SANDBOX_REFRESH_TOKEN": "sandbox-refresh-token",
    # Answer each refresh-token grant with a new refresh token, as Entra does (the configured one
    # stays valid, and so does every one handed out).
    "SANDBOX_ROTATE_REFRESH_TOKENS": False,
    # Where the persistent SQLite store lives (created if missing).
    "SANDBOX_DATA_DIR": "instance/sandbox",
    # The URL browsers use to reach the sandbox's HTML pages.
    "SANDBOX_PUBLIC_URL": "http://127.0.0.1:5050",
    # How long (sandbox clock) a new order stays pending before it completes.
    "SANDBOX_ORDER_DELAY_SECONDS": 5,
    # The Maildir the mailbox page (/mail) reads: where the storefront's embedded mail server keeps
    # what it received. Empty: the page says there is no mailbox.
    "SANDBOX_MAILDIR": "",
    # How webhook deliveries are sent: "thread" (a short background thread after the request that raised
    # them) or "manual" (only when flushed; tests).
    "SANDBOX_WEBHOOK_DISPATCH": "thread",
    # What a new store holds (seed.SEEDS): "demo" (customers, tenants and subscriptions for the demo and
    # the operator's tools) or "network" (the partner tenant and its reseller network only).
    "SANDBOX_SEED": "demo",
    # Which cloud's Partner Center it plays: "public", "us_government" or "china_21vianet". Outside the public
    # cloud there is no agreements (MCA) API, and checkout does not ask for an attestation.
    "SANDBOX_CLOUD": "public",
}


def load_config(config: dict | None = None) -> dict:
    """Resolve every setting: explicit config, then environment, then default."""
    config = dict(config or {})
    resolved: dict[str, object] = {}
    for key, default in DEFAULTS.items():
        if key in config:
            value = config[key]
        elif key in os.environ:
            value = os.environ[key]
        else:
            value = default
        resolved[key] = value
    resolved["SANDBOX_ORDER_DELAY_SECONDS"] = float(resolved["SANDBOX_ORDER_DELAY_SECONDS"])
    rotate = resolved["SANDBOX_ROTATE_REFRESH_TOKENS"]
    resolved["SANDBOX_ROTATE_REFRESH_TOKENS"] = (rotate if isinstance(rotate, bool)
                                                 else str(rotate).strip().lower() in {"1", "true", "yes", "on"})
    resolved["SANDBOX_PUBLIC_URL"] = str(resolved["SANDBOX_PUBLIC_URL"]).rstrip("/")
    resolved["SANDBOX_TENANT_ID"] = str(resolved["SANDBOX_TENANT_ID"]).lower()
    # Anything else the caller passed (e.g. TESTING) is kept for Flask.
    for key, value in config.items():
        resolved.setdefault(key, value)
    return resolved
