"""The customer step's choice of certificate (resellers): one of the reseller's active CSP Partner
Program certificates, the newest preselected; without one the reseller is told why and where to
enrol. Placing the order checks it again (app/programs registers that rule with orders)."""
from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from app.checkout.models import CheckoutDraft
from app.programs import services as programs


def _label(certificate) -> str:
    return (f"{certificate.number}: MPN ID {certificate.partner_id}, valid until "
            f"{certificate.expires_at.strftime('%Y-%m-%d')}")


def prepare(form, draft: CheckoutDraft, *, reading: bool) -> None:
    """The field's choices; on a page read, the draft's certificate or the preselected one."""
    usable = programs.usable_certificate_choices(draft.account_id)
    form.certificate.choices = [SelectChoice(str(c.id), _label(c)) for c in usable]
    if reading:
        chosen = draft.certificate_id if any(c.id == draft.certificate_id for c in usable) else None
        form.certificate.data = str(chosen or (usable[0].id if usable else ""))
    if not usable:
        form.certificate.render_kw = {"disabled": True}


def no_certificate(form, draft: CheckoutDraft) -> Markup | None:
    """Why the reseller cannot choose a certificate, with the link to the Programs page (None: it can).
    After prepare(): a field with choices has certificates to choose from, so nothing is read again."""
    if form.certificate.choices:
        return None
    message = programs.gate_message(draft.account)
    if message is None:
        return None
    return Markup('{} <a href="{}">Go to Programs</a>.').format(escape(message), url_for("programs.index"))


def choose(form, draft: CheckoutDraft) -> bool:
    """Record the chosen certificate on the draft; False (with the error at the field) when it is not
    one of the reseller's active certificates."""
    value = (form.certificate.data or "").strip()
    if value.isdigit():
        certificate = programs.usable_certificate(draft.account_id, int(value))
    else:  # nothing sent (a form without the field): the preselected one, as the page would have sent
        certificate = None if value else programs.usable_certificate(draft.account_id, None)
    if certificate is None:
        form.certificate.errors = [programs.gate_message(draft.account) or
                                   "Choose one of your active certificates."]
        return False
    draft.certificate_id = certificate.id
    return True


def chosen(draft: CheckoutDraft):
    """The certificate the order will carry: the draft's while it is active, else the preselected one."""
    return programs.usable_certificate(draft.account_id, draft.certificate_id) or \
        programs.usable_certificate(draft.account_id, None)
