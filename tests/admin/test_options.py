from __future__ import annotations

from app.admin.settings import StorefrontSettings
from app.audit.models import AuditEvent
from tests.helpers import soup
from tests.support.options import options_form


def test_defaults_come_from_code(app):
    settings = StorefrontSettings.load()
    assert settings.require_mca_acceptance is True
    assert settings.sub_customers_billing_address is False
    assert settings.annual_billing is True


def test_operator_toggles_an_option_and_it_is_stored_and_audited(operator_client, db):
    page = soup(operator_client.get("/admin/options"))
    assert page.select_one("label[for=sub_customers_billing_address]").get_text() == "Sub customers billing address"
    form = options_form(page)
    form.update({"require_mca_acceptance": "y", "annual_billing": "y", "automatic_catalog_update": "y",
                 "sub_customers_billing_address": "y",
                 "gdap_roles": [o["value"] for o in page.select("input[name=gdap_roles][checked]")]})
    response = operator_client.post("/admin/options", form)
    assert response.status_code == 302
    assert StorefrontSettings.load().sub_customers_billing_address is True
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "storefront_options_changed")).one()
    assert event.details == {"sub_customers_billing_address": {"from": False, "to": True}}
    assert soup(operator_client.get("/admin/options")).select_one("#sub_customers_billing_address").has_attr("checked")


def test_an_operator_member_reads_the_options_without_fields_to_change(operator_member_client, operator_client):
    page = soup(operator_member_client.get("/admin/options"))
    assert page.select_one("#read-only").get_text() == "Only an operator admin can change the options."
    assert page.select("#options-form > fieldset") and all(f.has_attr("disabled") for f in page.select("#options-form > fieldset"))
    assert not any(f.has_attr("disabled") for f in soup(operator_client.get("/admin/options")).select("#options-form > fieldset"))


def test_bad_input_is_explained_and_what_was_typed_is_kept(operator_client):
    response = operator_client.post("/admin/options", {"storefront_name": "My Store", "operator_support_email": "nope"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#operator_support_email-error").get_text() == "Enter an email address like name@example.com."
    assert page.select_one("#storefront_name")["value"] == "My Store"
    assert StorefrontSettings.load().storefront_name == "Northwind Cloud Storefront"  # nothing saved
    # Saved from the foot of a long page, a refusal is said at its top too, where the page opens again.
    assert page.select_one("#options-not-saved").get_text() == "Nothing was saved: check the fields marked below."
    assert soup(operator_client.get("/admin/options")).select_one("#options-not-saved") is None


def test_a_terms_link_is_refused_with_one_reason_at_a_time(operator_client):
    """A javascript: address was told both that it is not like https://example.com/terms and that it does not
    start with https://."""
    form = options_form(soup(operator_client.get("/admin/options")))
    for typed, reason in (("javascript:alert(1)", "Enter an address that starts with https://."),
                          ("https://", "Enter an address like https://example.com/terms.")):
        form["terms_url"] = typed
        page = soup(operator_client.post("/admin/options", form))
        assert page.select_one("#terms_url-error").get_text() == reason
        assert page.select_one("#terms_url")["value"] == typed


def test_gdap_defaults_are_least_privilege_two_years_without_auto_extension(app):
    settings = StorefrontSettings.load()
    assert settings.gdap_request() == {
        "role_ids": ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "f023fd81-a637-4b56-95fd-791ac0226033",
                     "4d6ac14f-3453-41d0-bef9-a3e0c569773a"),
        "duration": "P730D", "auto_extend_duration": "PT0S"}


def _gdap_form(operator_client, **changes):
    page = soup(operator_client.get("/admin/options"))
    form = options_form(page)
    form.update({"require_mca_acceptance": "y", "annual_billing": "y", "automatic_catalog_update": "y"})
    form.update(changes)
    return form


def test_operator_sets_gdap_roles_duration_and_auto_extension(operator_client):
    helpdesk = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
    response = operator_client.post("/admin/options", _gdap_form(
        operator_client, gdap_roles=["88d8e3e3-8f55-4a1e-953a-9b9898b8876b", helpdesk], gdap_duration_days="365",
        gdap_auto_extend="y"))
    assert response.status_code == 302
    assert StorefrontSettings.load().gdap_request() == {
        "role_ids": ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", helpdesk), "duration": "P365D",
        "auto_extend_duration": "P180D"}
    page = soup(operator_client.get("/admin/options"))
    assert page.select_one(f"input[name=gdap_roles][value='{helpdesk}']").has_attr("checked")


def test_gdap_options_refuse_what_microsoft_refuses(operator_client):
    global_admin = "62e90394-69f5-4237-9190-012177145e10"
    response = operator_client.post("/admin/options", _gdap_form(
        operator_client, gdap_roles=[global_admin], gdap_duration_days="800"))
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#gdap_duration_days-error").get_text() == "Enter a number of days from 1 to 730."
    assert page.select_one("#gdap_roles-error") is not None
    assert page.select_one("#gdap_duration_days")["value"] == "800"
    none = soup(operator_client.post("/admin/options", _gdap_form(operator_client, gdap_roles=[])))
    assert none.select_one("#gdap_roles-error").get_text() == "Choose at least one role."
    assert StorefrontSettings.load().gdap_request()["duration"] == "P730D"


def test_the_daily_reconciliation_option_names_the_menu_it_is_in(operator_client):
    """Its hint said "admin > Tools > Reconciliation": the menu reads Tools > Reconciliation."""
    page = soup(operator_client.get("/admin/options"))
    hint = page.select_one("#daily_reconciliation-field").get_text(" ", strip=True)
    assert "(Tools > Reconciliation)" in hint and "admin >" not in hint
