"""The storefront's form base: Flask-WTF's FlaskForm, whose hidden CSRF input is rendered without an id.

A page often holds several forms (a row of actions, a filter and a dialog), each with its hidden CSRF
input; WTForms gives every field an id from its name, so each said id="csrf_token", and one id on
several elements is invalid HTML (labels, aria-labelledby and accessibility checkers find the first
only). Nothing points at that input, so it needs no id. Every form of app/ derives from this class
(tests/web/test_page_markup.py checks it): `form.hidden_tag()` and `form.csrf_token` render it so.

WTForms writes every attribute of every input, label and option through `html_params`, which formats each
attribute with `Markup.format` (Python's string.Formatter, escaping as it goes): about 10 microseconds an
attribute, a fifth of the checkout's customer step (eight fields, their labels, a few options) and the
largest single cost of a page's forms (measured with py-spy under `flask serve`, issue 14). `html_params`
below writes the same text (tests/web/test_forms.py compares the two over keys, booleans, numbers, None,
quotes and Markup) with one escape per value, and `use_fast_html_params()` (called by create_app) makes
WTForms' widgets and labels use it.

`field()` draws a field with its label, hint and error (every form of the storefront uses it). It was a Jinja
macro, whose sets, appends and updates of dictionaries cost more than the input it drew; create_app makes
this function the templates' `field`.
"""
from __future__ import annotations

from functools import cache

from flask_wtf import FlaskForm as _FlaskForm
from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.csrf.core import CSRFTokenField
from wtforms.widgets import core as widgets_core


class FlaskForm(_FlaskForm):
    class Meta:
        def render_field(self, field, render_kw):
            if isinstance(field, CSRFTokenField):
                render_kw = {"id": False, **render_kw}  # False: WTForms writes no id attribute
            return super().render_field(field, render_kw)


def html_params(**kwargs) -> Markup:
    """wtforms.widgets.html_params, the same output: attributes sorted by name, `class_`/`for_` without the
    underscore, `data_`/`aria_` names with hyphens, True as a bare name, False left out, values escaped with
    double quotes as &quot;."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(widgets_core.clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


def use_fast_html_params() -> None:
    """WTForms' widgets look html_params up in their module, in `wtforms.widgets` (labels) and, for inputs
    and buttons, in their class."""
    widgets_core.html_params = widgets.html_params = html_params
    for widget in (widgets_core.Input, widgets_core.Button):
        widget.html_params = staticmethod(html_params)
    # A select works out, from render_option's signature, how to call it: the same answer for a class every
    # time, and inspect.signature was about 4% of the catalog page (three selects; py-spy in process).
    dispatch = widgets_core.Select._dispatch_render_option
    if not hasattr(dispatch, "cache_info"):
        widgets_core.Select._dispatch_render_option = classmethod(cache(dispatch.__func__))


def field(f, hint=None, autocomplete=None, inputmode=None, extra=None, live_message=False) -> Markup:
    """A form field with its label, hint and error next to it; the hint and the error are tied to the input by
    aria-describedby and an error marks it aria-invalid. `extra`: more attributes of the input.

    live_message: the error is drawn in a live region that is there with or without one (`<id>-said`, role=status,
    polite), for a field whose input and message another field's change swaps in by themselves (the input, and the
    region's content: macros.html's filter_form, follow_account): a message put into a region that was there is
    announced, one that comes with a new element is not. The field's box then carries no field-invalid, which that
    swap would leave as it was: the input's aria-invalid marks it (app.css, .field-live)."""
    described = " ".join(([f"{f.id}-hint"] if (hint or f.description) else []) +
                         ([f"{f.id}-error"] if f.errors else []))
    attrs = {}
    if described:
        attrs["aria-describedby"] = described
    if f.errors:
        attrs["aria-invalid"] = "true"
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if inputmode:
        attrs["inputmode"] = inputmode
    attrs.update(extra or {})
    field_id = escape(f.id)
    box = "field field-live" if live_message else f'field{" field-invalid" if f.errors else ""}'
    lines = [f'<div class="{box}" id="{field_id}-field">']
    if f.type == "BooleanField":
        lines.append(f'  <div class="check">{f(**attrs)} {escape(f.label)}</div>')
    else:
        lines.append(f"  {escape(f.label)}")
    if hint or f.description:
        lines.append(f'  <p class="hint" id="{field_id}-hint">{escape(hint or f.description)}</p>')
    error = f'<p class="field-error" id="{field_id}-error">{Markup(" ").join(f.errors)}</p>' if f.errors else ""
    if live_message:
        lines.append(f'  <div class="field-said" id="{field_id}-said" role="status" aria-live="polite">{error}</div>')
    elif error:
        lines.append(f"  {error}")
    if f.type != "BooleanField":
        lines.append(f"  {f(**attrs)}")
    lines.append("</div>")
    return Markup("\n".join(lines))
