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
