"""The storefront's form base: Flask-WTF's FlaskForm, whose hidden CSRF input is rendered without an id.

A page often holds several forms (a row of actions, a filter and a dialog), each with its hidden CSRF
input; WTForms gives every field an id from its name, so each said id="csrf_token", and one id on
several elements is invalid HTML (labels, aria-labelledby and accessibility checkers find the first
only). Nothing points at that input, so it needs no id. Every form of app/ derives from this class
(tests/web/test_page_markup.py checks it): `form.hidden_tag()` and `form.csrf_token` render it so.
"""
from __future__ import annotations

from flask_wtf import FlaskForm as _FlaskForm
from wtforms.csrf.core import CSRFTokenField


class FlaskForm(_FlaskForm):
    class Meta:
        def render_field(self, field, render_kw):
            if isinstance(field, CSRFTokenField):
                render_kw = {"id": False, **render_kw}  # False: WTForms writes no id attribute
            return super().render_field(field, render_kw)
