"""Microsoft Partner Center REST v1 client library (httpx + MSAL).

This package is the only code that talks to Microsoft. It imports nothing from the rest of
``app``: it has its own configuration (``InstanceConfig``), typed results (``types``) and
errors (``errors``). ``PartnerCenterClient`` (``client``) composes one module per resource
over one transport with its retry policy (``transport``); ``routing`` sends the calls, MSAL's
included, to a sandbox instead of Microsoft. The sandbox itself, ``app.sandbox``, is a sibling
package: neither imports the other.
"""

from .auth import APP, APP_USER, MFA_REQUIRED_CODE, MfaRequired, TokenProvider
from .check import CheckResult, check_instance
from .client import MCA, InstanceConfig, PartnerCenterClient, new_request_id, reseller_line_item
from .clouds import CLOUDS, PARTNER_CENTER_SCOPE, Cloud, get_cloud
from .errors import *  # noqa: F401,F403  (the error classes are the public API)
from .errors import __all__ as _errors_all
from .routing import HostRewriteTransport, InProcessTransport, MsalHttpClient
from .subscriptions import next_term_instructions, subscription_patch_body
from .types import *  # noqa: F401,F403
from .webhooks import WebhookEvent, WebhookRefused, WebhookRegistration, certificate_hosts, verify_event
from .types import __all__ as _types_all

__all__ = [
    "APP",
    "APP_USER",
    "TokenProvider",
    "MfaRequired",
    "MFA_REQUIRED_CODE",
    "CheckResult",
    "check_instance",
    "MCA",
    "InstanceConfig",
    "PartnerCenterClient",
    "new_request_id",
    "reseller_line_item",
    "CLOUDS",
    "PARTNER_CENTER_SCOPE",
    "Cloud",
    "get_cloud",
    "HostRewriteTransport",
    "InProcessTransport",
    "MsalHttpClient",
    "subscription_patch_body",
    "next_term_instructions",
    "WebhookEvent",
    "WebhookRefused",
    "WebhookRegistration",
    "certificate_hosts",
    "verify_event",
    *_errors_all,
    *_types_all,
]
