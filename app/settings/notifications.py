"""The Notifications page's rules: saving an account's choices and a user's email preferences (both
audited), and the log of the messages sent to the account."""
from __future__ import annotations

from app.accounts.models import Account, User
from app.accounts.notification_settings import CATEGORIES, opted_out, save_choice, set_opt_outs
from app.audit import services as audit
from app.audit.services import Origin
from app.extensions import db
from app.mail import MailMessage
from app.web.query import ListPage, page_of

LOG_PAGE_SIZE = 50

# The log's Category of the messages that are no notification category: each person's own mail about their user.
ACCOUNT_MAIL_LABELS = {"invitations": "Invitations", "password_resets": "Password resets",
                       "email_changes": "Email address changes"}


def mail_category_label(category: str) -> str:
    """The Category a person reads in the log, for a notification category and for the mail about a user."""
    if category in CATEGORIES:
        return CATEGORIES[category].label
    return ACCOUNT_MAIL_LABELS.get(category, category.replace("_", " ").capitalize())


def save_settings(account: Account, wanted: dict[str, dict], *, actor: User, origin: Origin) -> list[str]:
    """`wanted`: category -> {"enabled", "recipients", "extra_emails"}; returns the categories changed."""
    changed = [key for key in CATEGORIES if key in wanted and save_choice(account.id, key, **wanted[key])]
    if changed:
        audit.record("notification_settings_changed", actor=actor, account=account, subject=account.name,
                     origin=origin, details={key: wanted[key] for key in changed})
    return changed


def save_preferences(user: User, wanted: set[str], *, offered: set[str] | None = None, origin: Origin) -> bool:
    """`wanted`: the categories the user wants email of; every other one `offered` (all by default) is opted
    out of, and those not offered stay as they were."""
    offered = set(CATEGORIES) if offered is None else offered
    added, removed = set_opt_outs(user.id, (opted_out(user.id) - offered) | (offered - wanted))
    if added or removed:
        audit.record("notification_preferences_changed", actor=user, subject=user.email, origin=origin,
                     details={"opted_out": sorted(added), "opted_in": sorted(removed)})
    return bool(added or removed)


def preferences_of(user: User) -> set[str]:
    return opted_out(user.id)


def mail_log(account: Account, page: int = 1) -> ListPage[MailMessage]:
    """The messages sent to the account's people, newest first."""
    return page_of(db.select(MailMessage).where(MailMessage.account_id == account.id)
                   .order_by(MailMessage.created_at.desc(), MailMessage.id.desc()), page, LOG_PAGE_SIZE)
