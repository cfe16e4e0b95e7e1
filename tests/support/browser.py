"""What a person does in the browser tests, again and again."""
from __future__ import annotations


def sign_in_as(page, base_url: str, email: str, password: str = "demo-password"):
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
