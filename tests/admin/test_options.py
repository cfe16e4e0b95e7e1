from __future__ import annotations

from app.admin.settings import StorefrontSettings
from app.audit.models import AuditEvent
from tests.helpers import soup


def test_defaults_come_from_code(app):
    settings = StorefrontSettings.load()
    assert settings.require_mca_acceptance is True
    assert settings.sub_customers_billing_address is False
    assert settings.annual_billing is True


def test_operator_toggles_an_option_and_it_is_stored_and_audited(operator_client, db):
    page = soup(operator_client.get("/admin/options"))
    assert page.select_one("label[for=sub_customers_billing_address]").get_text() == "Sub customers billing address"
    form = {i["name"]: i.get("value", "") for i in page.select("#options-form input[type=text], #options-form input[type=email]")}
    form.update({"require_mca_acceptance": "y", "annual_billing": "y", "automatic_catalog_update": "y",
                 "sub_customers_billing_address": "y"})
    response = operator_client.post("/admin/options", form)
    assert response.status_code == 302
    assert StorefrontSettings.load().sub_customers_billing_address is True
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "storefront_options_changed")).one()
    assert event.details == {"sub_customers_billing_address": {"from": False, "to": True}}
    assert soup(operator_client.get("/admin/options")).select_one("#sub_customers_billing_address").has_attr("checked")


def test_bad_input_is_explained_and_what_was_typed_is_kept(operator_client):
    response = operator_client.post("/admin/options", {"storefront_name": "My Store", "operator_support_email": "nope"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#operator_support_email-error").get_text() == "Enter an email address like name@example.com."
    assert page.select_one("#storefront_name")["value"] == "My Store"
    assert StorefrontSettings.load().storefront_name == "Northwind Cloud Storefront"  # nothing saved
