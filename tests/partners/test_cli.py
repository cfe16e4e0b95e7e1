"""The first start without demo data: `flask create-operator`, `flask seed-demo` refusing live mode,
and `flask serve` saying which mode it runs in."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from app.accounts.models import Account, User
from app.auth.models import Invitation
from app.cli import mode_line
from app.mail import MailMessage
from tests.helpers import Client, sign_in
from tests.support.net import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD_PASSWORD = "harbour-lantern-quietly-7"


def _operator(db) -> Account | None:
    return db.session.scalar(db.select(Account).where(Account.kind == "operator"))


def test_create_operator_asks_for_the_name_and_the_first_admin_then_they_sign_in(app, db):
    answers = ["Contoso Distribution", "Nora", "Admin", "nora@contoso.example.com", GOOD_PASSWORD, GOOD_PASSWORD]
    result = app.test_cli_runner().invoke(args=["create-operator"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Contoso Distribution is set up: sign in as nora@contoso.example.com." in result.output
    operator = _operator(db)
    [nora] = operator.users
    assert (operator.name, nora.name, nora.email, nora.role) == ("Contoso Distribution", "Nora Admin",
                                                                 "nora@contoso.example.com", "admin")
    assert GOOD_PASSWORD not in result.output  # hidden as typed
    browser = Client(app.test_client())
    assert sign_in(browser, "nora@contoso.example.com", GOOD_PASSWORD).status_code == 302


def test_a_password_against_the_rules_is_asked_again(app, db):
    answers = ["Contoso Distribution", "Nora", "Admin", "nora@contoso.example.com", "short", "short",
               GOOD_PASSWORD, GOOD_PASSWORD]
    result = app.test_cli_runner().invoke(args=["create-operator"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "at least 12 characters" in result.output
    assert _operator(db).users[0].check_password(GOOD_PASSWORD)


def test_create_operator_can_send_an_invitation_instead(app, db):
    result = app.test_cli_runner().invoke(args=[
        "create-operator", "--invite", "--name", "Contoso Distribution", "--country", "pl", "--first-name", "Nora",
        "--last-name", "Admin", "--email", "nora@contoso.example.com"])
    assert result.exit_code == 0, result.output
    assert "nora@contoso.example.com is invited to be the first admin of Contoso Distribution" in result.output
    operator = _operator(db)
    assert operator.country == "PL" and operator.users == []
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.account_id == operator.id))
    assert (invitation.email, invitation.role, invitation.name) == ("nora@contoso.example.com", "admin", "Nora Admin")
    assert db.session.scalar(db.select(MailMessage).where(MailMessage.to_email == "nora@contoso.example.com"))


def test_an_operator_with_an_admin_is_left_alone(demo, app, db):
    result = app.test_cli_runner().invoke(args=[
        "create-operator", "--invite", "--name", "Other", "--first-name", "Eve", "--last-name", "Intruder",
        "--email", "eve@example.com"])
    assert result.exit_code == 1
    assert ("The operator account Northwind Cloud Distribution already has an admin (admin@example.com)"
            in result.output)
    assert db.session.scalar(db.select(db.func.count(Account.id)).where(Account.kind == "operator")) == 1
    assert db.session.scalar(db.select(Invitation).where(Invitation.email == "eve@example.com")) is None


def test_an_operator_without_an_admin_gets_one(app, db):
    db.session.add(Account(kind="operator", name="Contoso Distribution", country="US"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=[
        "create-operator", "--first-name", "Nora", "--last-name", "Admin", "--email", "nora@contoso.example.com"],
        input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "exists without an admin: adding its first admin" in result.output
    assert [u.email for u in _operator(db).users] == ["nora@contoso.example.com"]


def test_seed_demo_refuses_live_mode_unless_forced(app, db):
    app.config["PARTNER_CENTER_MODE"] = "live"
    refused = app.test_cli_runner().invoke(args=["seed-demo"])
    assert refused.exit_code == 1
    assert "PARTNER_CENTER_MODE is live, so the demo data was not loaded" in refused.output
    assert db.session.scalar(db.select(User).where(User.email == "admin@example.com")) is None
    forced = app.test_cli_runner().invoke(args=["seed-demo", "--force"])
    assert forced.exit_code == 0, forced.output
    assert db.session.scalar(db.select(User).where(User.email == "admin@example.com")) is not None


@pytest.mark.parametrize("config, says", [
    ({"PARTNER_CENTER_MODE": "sandbox"}, "Mode: sandbox. Partner Center is the built-in sandbox"),
    ({"PARTNER_CENTER_MODE": "sandbox", "PARTNER_CENTER_SANDBOX_URL": "http://127.0.0.1:5050"},
     "Mode: sandbox. Partner Center is the standalone sandbox at http://127.0.0.1:5050"),
    ({"PARTNER_CENTER_MODE": "live"}, "Mode: live. Partner Center calls go to Microsoft"),
])
def test_the_mode_in_words(app, config, says):
    app.config.update(config)
    assert mode_line(app).startswith(says)


def test_flask_serve_says_which_mode_it_runs_in(tmp_path):
    """A real `flask serve` on a database without demo data: the mode, and no demo users listed."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MAIL_URL")}
    env.update(FLASK_APP="app", INSTANCE_PATH=str(tmp_path / "instance"), HOST="127.0.0.1", PORT=str(free_port()))
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    serve = subprocess.Popen([sys.executable, "-m", "flask", "serve", "--workers", "1"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    lines = []
    try:
        for line in serve.stdout:
            lines.append(line.strip())
            if line.strip() == "Press Ctrl-C to stop.":
                break
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
    assert "Mode: sandbox. Partner Center is the built-in sandbox (simulated, offline); nothing reaches Microsoft." \
        in lines
    assert "No demo data: sign in as the admin `flask create-operator` set up." in lines
    assert not any(line.startswith("Demo users") for line in lines)
