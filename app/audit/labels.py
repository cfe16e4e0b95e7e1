"""What the audit log calls an action. Events store a stable code (`signed_in`), which the filters' addresses
and the CSV export keep; people read the action in words ("Signed in")."""
from __future__ import annotations

import re

# Where the words of the code alone would read badly.
LABELS = {
    "sign_in_refused_deactivated": "Sign-in refused: user deactivated",
    "sign_in_refused_suspended": "Sign-in refused: account suspended",
    "account_partner_checked": "Partner ID checked with Partner Center",
    "account_connection_pinned": "Partner Center connection pinned",
    "account_connection_unpinned": "Partner Center connection unpinned",
    "partner_center_checked": "Partner Center connection checked",
    "partner_center_instance_saved": "Partner Center connection saved",
    "partner_center_webhooks_register_asked": "Partner Center webhooks: registration asked",
    "order_querying": "Order waiting (querying)",
    "mca_accepted": "Microsoft Customer Agreement accepted by the customer",
    "mca_confirmed": "Microsoft Customer Agreement acceptance confirmed by the reseller",
    "worker_ping": "Worker checked",
}
# Words the code spells in lower case that are written otherwise.
_WORDS = [(re.compile(r"\bpartner center\b"), "Partner Center"), (re.compile(r"\bgdap\b"), "GDAP"),
          (re.compile(r"\bmca\b"), "MCA"), (re.compile(r"\bsign in\b"), "sign-in")]


def action_label(action: str) -> str:
    """`partner_center_webhooks_registered` -> "Partner Center webhooks registered"."""
    if action in LABELS:
        return LABELS[action]
    text = action.replace("_", " ").strip()
    for pattern, word in _WORDS:
        text = pattern.sub(word, text)
    return text[:1].upper() + text[1:]
