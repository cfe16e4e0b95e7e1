"""The sandbox's pages on a phone (390 px wide), as the operator admin opens them from admin > Partner Center:
the page never scrolls sideways; its header's links wrap inside the blue bar, a form's wide choice fits the
screen, and a data table scrolls inside its own named region that a keyboard reaches."""
from __future__ import annotations

import pytest

from tests.support.browser import PHONE, scrolls_with_the_keyboard, sign_in_as, sticking_out

pytestmark = pytest.mark.browser

PAGES = ["/sandbox/", "/sandbox/_sandbox/admin", "/sandbox/mail", "/sandbox/_sandbox/tokens/admin",
         "/sandbox/_sandbox/gdap"]


def _a_message_to_a_long_address(live_env) -> str:
    """A message in the mailbox the embedded mail server keeps, to an address too long for a phone's line:
    the address of its page below /sandbox."""
    import mailbox
    from email.message import EmailMessage

    from app.mail import maildir_path

    message = EmailMessage()
    message["From"], message["Subject"] = "Northwind Cloud Distribution <storefront@localhost>", "You are invited"
    message["To"] = "wanda.importer-administrator@wideworldimporters.example.com"
    message.set_content("Hello Wanda,")
    return "/sandbox/mail/" + mailbox.Maildir(maildir_path(live_env["INSTANCE_PATH"])).add(message)


def test_the_sandbox_pages_do_not_scroll_sideways_on_a_phone(browser, live_server, live_env):
    pages = [*PAGES, _a_message_to_a_long_address(live_env)]
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in_as(page, live_server, "admin@example.com")
        wide = [problem for path in pages if (problem := sticking_out(page, live_server + path))]
        assert not wide, "A sandbox page scrolls sideways on a phone:\n" + "\n".join(wide)

        # The header's last link sits on the blue bar, not beside it on the page's grey.
        page.goto(live_server + "/sandbox/")
        bar = page.locator("header").bounding_box()
        link = page.locator("header").get_by_role("link", name="GDAP for resellers").bounding_box()
        assert link["x"] + link["width"] <= bar["x"] + bar["width"]

        # A radio button or checkbox whose words wrap keeps its size beside them (not squeezed to a dot).
        page.goto(live_server + "/sandbox/_sandbox/tokens/admin")
        for box in page.locator("input[type=radio], input[type=checkbox]").all():
            assert box.bounding_box()["width"] >= 12, box.evaluate("el => el.closest('label').textContent")

        page.goto(live_server + "/sandbox/")
        scrolls_with_the_keyboard(page, "Customer tenants")
    finally:
        context.close()
