from __future__ import annotations

from dataclasses import asdict, fields

from flask import flash, redirect, url_for
from flask_login import current_user

from app.admin import bp
from app.admin import settings_cache
from app.admin.forms import settings_form_class
from app.admin.settings import StorefrontSettings
from app.audit import services as audit
from app.extensions import db
from app.web.access import Permission, allow
from app.web.origin import request_origin
from app.web.rendering import render


@bp.app_context_processor
def storefront_name_context():
    """Every page shows the operator's storefront name (an option; read once per request, and kept
    across requests while the options do not change: app/admin/settings_cache.py)."""
    try:
        name = settings_cache.current().storefront_name
    except Exception:  # the error page must render even when the database is down
        db.session.rollback()
        name = "CSP Storefront"
    return {"storefront_name": name}


@bp.route("/options", methods=["GET", "POST"])
@allow(Permission.ADMIN_VIEW, post=Permission.OPTIONS_CHANGE)
def options():
    settings = StorefrontSettings.load()
    form = settings_form_class()(data=asdict(settings))
    if form.validate_on_submit():
        for f in fields(settings):
            setattr(settings, f.name, getattr(form, f.name).data)
        changed = settings.save(by=current_user)
        if changed:
            audit.record("storefront_options_changed", actor=current_user, subject="Storefront options",
                         details={k: {"from": v[0], "to": v[1]} for k, v in changed.items()},
                         origin=request_origin())
        db.session.commit()
        flash("Storefront options saved." if changed else "No options changed.", "success")
        return redirect(url_for("admin.options"))
    status = 422 if form.errors else 200
    groups: dict[str, list] = {}
    for f in StorefrontSettings.option_fields():
        groups.setdefault(f.metadata["group"], []).append(getattr(form, f.name))
    return render("admin/options.html", "admin/_options_form.html", form=form, groups=groups, status=status)
