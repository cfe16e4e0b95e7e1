"""The admin options form as a browser would send it unchanged: its text, email and URL fields and
its text areas (tests add the boxes they tick)."""
from __future__ import annotations


def options_form(page) -> dict:
    form = {i["name"]: i.get("value", "") for i in page.select("#options-form input[type=text], "
                                                                 "#options-form input[type=email]")}
    form.update({t["name"]: textarea_value(t) for t in page.select("#options-form textarea")})
    return form


def textarea_value(element) -> str:
    """A text area's value as a browser reads it: a newline right after the start tag is not part of it
    (WTForms writes one so that a value's own leading newline survives)."""
    return element.get_text().replace("\r\n", "\n").removeprefix("\n")
