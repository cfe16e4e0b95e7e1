"""The Notifications page (the account's categories, recipients and the log of sent messages) and each
user's own email preferences (shown under My profile)."""
from __future__ import annotations

from flask import current_app, flash, request, url_for
from flask_login import current_user

from app.accounts.notification_settings import RECIPIENTS, categories_for, choices_of
from app.extensions import db
from app.settings import bp
from app.settings import notifications as svc
from app.settings.forms import notification_settings_form, preferences_form
from app.web.access import Permission, allow
from app.web.origin import request_origin
from app.web.query import requested_page
from app.web.rendering import redirect_to, render


def _page(form, *, status: int = 200):
    account = current_user.account
    log = svc.mail_log(account, requested_page(request.args))
    return render("settings/notifications.html", "settings/_notification_settings.html", status=status, form=form,
                  categories=categories_for(account.kind), recipients=RECIPIENTS, account=account, log=log,
                  mail_category_label=svc.mail_category_label)


@bp.route("/settings/notifications", methods=["GET", "POST"])
@allow(Permission.ACCOUNT_SETTINGS)
def notifications():
    account = current_user.account
    categories = categories_for(account.kind)
    form = notification_settings_form(choices_of(account.id), categories)
    if not form.is_submitted():
        return _page(form)
    valid = form.validate()
    wanted = {}
    for key in categories:
        sub = form[key].form
        addresses = sub.addresses()
        if sub.recipients.data not in RECIPIENTS:
            sub.recipients.errors = [*sub.recipients.errors, "Choose who receives them."]
        if addresses is not None and not sub.recipients.errors:
            wanted[key] = {"enabled": bool(sub.enabled.data), "recipients": sub.recipients.data,
                           "extra_emails": addresses}
    if not valid or len(wanted) != len(categories):
        return _page(form, status=422)
    changed = svc.save_settings(account, wanted, actor=current_user._get_current_object(), origin=request_origin())
    db.session.commit()
    flash("Notification settings saved." if changed else "Nothing changed.", "success")
    return redirect_to(url_for("settings.notifications"))


# ------------------------------------------------------------------------------ own preferences

def preferences_context(user) -> dict:
    """What the preferences section needs, wherever it is shown (My profile includes it)."""
    categories = categories_for(user.account.kind)
    return {"preferences_form": preferences_form(svc.preferences_of(user), categories, formdata=None),
            "categories": categories, "account_choices": choices_of(user.account_id)}


@bp.app_template_global()
def notification_preferences():
    return preferences_context(current_user._get_current_object())


@bp.route("/profile/notifications", methods=["GET", "POST"])
@allow(Permission.NOTIFICATIONS)
def preferences():
    user = current_user._get_current_object()
    if request.method == "POST":
        categories = categories_for(user.account.kind)
        form = preferences_form(svc.preferences_of(user), categories)
        if form.validate_on_submit():
            wanted = {key for key in categories if form[key].data}
            changed = svc.save_preferences(user, wanted, offered=set(categories), origin=request_origin())
            db.session.commit()
            flash("Your email preferences were saved." if changed else "Nothing changed.", "success")
            back = "auth.profile" if "auth.profile" in current_app.view_functions else "settings.preferences"
            return redirect_to(url_for(back) + "#notification-preferences")
        return render("settings/preferences.html", status=422, **{**preferences_context(user),
                                                                   "preferences_form": form})
    return render("settings/preferences.html", **preferences_context(user))
