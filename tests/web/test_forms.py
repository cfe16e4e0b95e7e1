"""The storefront's html_params writes exactly what WTForms' does, and WTForms' widgets use it."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from wtforms import Form, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import core

from app.web.forms import html_params


def wtforms_html_params(**kwargs):
    """WTForms' own function, as the installed release defines it (not the one create_app installs)."""
    import importlib

    fresh = importlib.util.spec_from_file_location("wtforms_widgets_core_fresh", core.__file__)
    module = importlib.util.module_from_spec(fresh)
    fresh.loader.exec_module(module)
    return module.html_params(**kwargs)


@pytest.mark.parametrize("attributes", [
    {"id": "name", "name": "name", "type": "text", "value": ""},
    {"class_": "button wide", "for_": "x", "data_hx_post": "/cart/1", "aria_describedby": "a b"},
    {"required": True, "disabled": False, "checked": True, "maxlength": 50, "min": 0, "step": 1.5},
    {"value": 'Fabrikam "Best" <Co> & Sons\'', "placeholder": None},
    {"value": Markup('already <b>"safe"</b>'), "title": Markup("a &amp; b")},
    {"data_x_y_z": "1", "aria_label": "Table: Users", "hx_on__after_request": "go()"},
    {"weird<key": "v", "id": "é ü"},
    {},
])
def test_the_same_text_as_wtforms(attributes):
    assert html_params(**attributes) == wtforms_html_params(**attributes)
    assert isinstance(html_params(**attributes), Markup)


def test_widgets_and_labels_write_through_it(app):
    class Shown(Form):
        name = StringField("Company name", validators=[DataRequired(), Length(max=50)])
        country = SelectField("Country", choices=[("US", "United States"), ("PL", 'Poland "PL"')])
        go = SubmitField("Save")

    form = Shown()
    markup = str(form.name()) + str(form.name.label()) + str(form.country()) + str(form.go())
    assert markup == ('<input id="name" maxlength="50" name="name" required type="text" value="">'
                      '<label for="name">Company name</label>'
                      '<select id="country" name="country"><option value="US">United States</option>'
                      '<option value="PL">Poland &#34;PL&#34;</option></select>'
                      '<input id="go" name="go" type="submit" value="Save">')
    # create_app installed it: the widgets' own look-ups find the storefront's function.
    assert core.html_params is html_params and core.Input.html_params is html_params
    import wtforms.widgets

    assert wtforms.widgets.html_params is html_params


# The `field` macro that app.web.forms.field replaced, as it was: the function draws the same elements,
# attributes and text (only the blank lines the macro's {% set %} lines left differ).
FIELD_MACRO = """{% macro field(f, hint=None, autocomplete=None, inputmode=None, extra={}) -%}
{% set described = [] %}
{% if f.description or hint %}{% set _ = described.append(f.id ~ '-hint') %}{% endif %}
{% if f.errors %}{% set _ = described.append(f.id ~ '-error') %}{% endif %}
{% set attrs = {} %}
{% if described %}{% set _ = attrs.update({'aria-describedby': described|join(' ')}) %}{% endif %}
{% if f.errors %}{% set _ = attrs.update({'aria-invalid': 'true'}) %}{% endif %}
{% if autocomplete %}{% set _ = attrs.update({'autocomplete': autocomplete}) %}{% endif %}
{% if inputmode %}{% set _ = attrs.update({'inputmode': inputmode}) %}{% endif %}
{% set _ = attrs.update(extra) %}
<div class="field{% if f.errors %} field-invalid{% endif %}" id="{{ f.id }}-field">
  {% if f.type == 'BooleanField' %}
  <div class="check">{{ f(**attrs) }} {{ f.label }}</div>
  {% else %}
  {{ f.label }}
  {% endif %}
  {% if f.description or hint %}<p class="hint" id="{{ f.id }}-hint">{{ hint or f.description }}</p>{% endif %}
  {% if f.errors %}<p class="field-error" id="{{ f.id }}-error">{{ f.errors|join(' ') }}</p>{% endif %}
  {% if f.type != 'BooleanField' %}{{ f(**attrs) }}{% endif %}
</div>
{%- endmacro %}"""


def _lines(markup) -> list[str]:
    return [line.strip() for line in str(markup).splitlines() if line.strip()]


@pytest.mark.parametrize("errors", [[], ["Enter a name."], ["Too long.", 'Not "<this>".']])
@pytest.mark.parametrize("call", [
    {},
    {"hint": "As on the invoice."},
    {"hint": Markup("See <a href='/x'>the rules</a>.")},
    {"autocomplete": "organization", "inputmode": "numeric"},
    {"extra": {"autofocus": True, "maxlength": 128, "hx-post": "/cart/1", "data-x": 'a "b"'}},
    {"hint": "Digits only & spaces.", "autocomplete": "off", "extra": {"spellcheck": "false"}},
])
@pytest.mark.parametrize("name", ["company", "terms", "country", "notes"])
def test_field_draws_what_the_macro_drew(app, name, call, errors):
    from wtforms import BooleanField, TextAreaField
    from wtforms.fields.choices import SelectChoice

    from app.web.forms import field

    class Shown(Form):
        company = StringField("Company name", description="The legal name.", validators=[DataRequired()])
        terms = BooleanField("I accept the terms")
        country = SelectField("Country", choices=[SelectChoice("US", "United States"), SelectChoice("PL", 'Poland "PL"')])
        notes = TextAreaField("Notes <optional>")

    with app.test_request_context():
        form = Shown()
        shown = form[name]
        shown.errors = list(errors)
        macro = app.jinja_env.from_string(FIELD_MACRO).module.field
        expected = macro(shown, **{"extra": {}, **call})
        drawn = field(shown, **call)
    assert isinstance(drawn, Markup)
    assert _lines(drawn) == _lines(expected)


def test_templates_draw_fields_with_it(app):
    from app.web.forms import field

    assert app.jinja_env.globals["field"] is field


@pytest.mark.parametrize("errors", [[], ["Choose a customer from the list."]])
def test_a_field_with_a_live_message_has_its_region_with_or_without_one(app, errors):
    """live_message: the message is drawn in a live region that is there either way (a message swapped into it is
    announced); the box carries no field-invalid (a swap of the input and the message leaves the box as it was),
    the input's aria-invalid marks it."""
    from wtforms.fields.choices import SelectChoice

    from app.web.forms import field

    class Shown(Form):
        customer = SelectField("Customer", choices=[SelectChoice("", "All customers")])

    with app.test_request_context():
        shown = Shown().customer
        shown.errors = list(errors)
        drawn = _lines(field(shown, live_message=True))
    region = '<div class="field-said" id="customer-said" role="status" aria-live="polite">'
    message = '<p class="field-error" id="customer-error">Choose a customer from the list.</p>' if errors else ""
    assert drawn[:3] == ['<div class="field field-live" id="customer-field">', '<label for="customer">Customer</label>',
                         f"{region}{message}</div>"]
    assert ('aria-invalid="true"' in drawn[3], 'aria-describedby="customer-error"' in drawn[3]) == (bool(errors),) * 2
