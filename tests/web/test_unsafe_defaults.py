"""Issue 25, unsafe defaults: a secret key anyone knows, and demo accounts with a public admin
password loaded by a plain ``flask init``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select

from certify import create_app
from certify.accounts.models import User
from certify.config import ConfigurationError
from certify.db import get_db
from tests.web.conftest import make_test_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = (ROOT / "instance" / "config.example.py").read_text(encoding="utf-8")
PLACEHOLDER = re.search(r'^SECRET_KEY = "([^"]*)"', EXAMPLE_CONFIG, re.MULTILINE).group(1)  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _no_key_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("CERTIFY_SECRET_KEY", raising=False)
    monkeypatch.delenv("CERTIFY_PUBLIC_URL", raising=False)


def forged_cookie(secret: str, payload: dict) -> str:
    """A session cookie signed with *secret* the way Flask signs its own."""
    signer = Flask(__name__)
    signer.secret_key = secret
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer)
    assert serializer is not None
    return serializer.dumps(payload)


def test_a_session_cookie_forged_with_the_placeholder_key_can_never_be_accepted(
    tmp_path, create_user
) -> None:
    """The probe signed an admin session cookie with the example file's key and was let in.
    Now no app starts with that key, so nothing can accept such a cookie."""
    admin = create_user("admin")
    cookie = forged_cookie(PLACEHOLDER, {"_permanent": True, "uid": admin.public_id, "sv": 1})
    assert cookie  # the forgery itself needs nothing but the published key
    with pytest.raises(ConfigurationError, match="placeholder"):
        create_app({"SECRET_KEY": PLACEHOLDER, "INSTANCE_PATH": str(tmp_path / "a")})
    # the way an operator would meet it: the example file copied to instance/config.py
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.py").write_text(EXAMPLE_CONFIG, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="placeholder"):
        create_app({"INSTANCE_PATH": str(tmp_path / "b")})


def test_the_placeholder_key_is_refused_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CERTIFY_SECRET_KEY", PLACEHOLDER)
    with pytest.raises(ConfigurationError, match="will not start"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize(
    "key", ["q3Xz0vB8mK2pL9wR4tY7uA", "9f86d081884c7d659a2feaa0c55ad015", "x" * 64]
)
def test_a_short_or_patterned_key_is_refused(tmp_path, key) -> None:
    with pytest.raises(ConfigurationError, match=r"32 random bytes|pattern"):
        create_app({"SECRET_KEY": key, "INSTANCE_PATH": str(tmp_path)})


def test_the_placeholder_is_refused_as_a_fallback_key_too(tmp_path) -> None:
    """Flask accepts cookies signed with any of SECRET_KEY_FALLBACKS."""
    from certify.setup_instance import ensure_instance_config

    ensure_instance_config(tmp_path)
    with pytest.raises(ConfigurationError, match="SECRET_KEY_FALLBACKS"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY_FALLBACKS": [PLACEHOLDER]})


def test_a_generated_key_starts_the_app(tmp_path) -> None:
    from certify.setup_instance import ensure_instance_config

    ensure_instance_config(tmp_path)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert len(app.config["SECRET_KEY"]) >= 43
    get_db(app).engine.dispose()


@pytest.mark.parametrize("command", ["flask", "certify"])
def test_a_command_without_a_secret_key_says_so_without_a_traceback(tmp_path, command) -> None:
    """A newcomer running ``flask --app certify init`` (or ``certify init``) before
    ``make run`` made the instance folder: one line saying what to do, exit status 1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTIFY_")}
    env["CERTIFY_INSTANCE_PATH"] = str(tmp_path / "instance")
    argv = (
        [sys.executable, "-m", "flask", "--app", "certify", "init"]
        if command == "flask"
        else [str(Path(sys.executable).parent / "certify"), "init"]
    )
    result = subprocess.run(
        argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Error: certify will not start: No secret key is configured" in result.stderr
    assert "python -m certify.setup_instance" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# -- demo data only when asked, never on an https registry unless forced ---------------------


@pytest.fixture
def fresh_app(fresh_database_url, tmp_path, app_config):
    app = create_app(make_test_config(fresh_database_url, str(tmp_path / "instance"), **app_config))
    yield app
    get_db(app).engine.dispose()


def users_in(app) -> int:
    with get_db(app).new_session(writer=False) as s:
        return s.scalar(select(func.count()).select_from(User)) or 0


def test_plain_init_loads_no_demo_data(fresh_app) -> None:
    result = fresh_app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "migrations: up to date" in result.output
    assert "demo data: not loaded" in result.output
    assert "demo-admin-2026" not in result.output
    assert users_in(fresh_app) == 0


@pytest.mark.parametrize("app_config", [{"PUBLIC_URL": "https://registry.example.org"}])
@pytest.mark.parametrize("command", [["init", "--demo"], ["demo"]])
def test_demo_data_on_an_https_registry_is_refused_without_force(fresh_app, command) -> None:
    result = fresh_app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert "refusing to load demo data" in result.output
    assert "https://registry.example.org" in result.output and "--force-demo" in result.output
    assert users_in(fresh_app) == 0


@pytest.mark.parametrize("app_config", [{"PUBLIC_URL": "https://demo.example.org"}])
def test_force_demo_loads_demo_data_on_https(fresh_app) -> None:
    result = fresh_app.test_cli_runner().invoke(args=["init", "--demo", "--force-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.certify.test" in result.output
    assert users_in(fresh_app) > 0
    again = fresh_app.test_cli_runner().invoke(args=["init"])  # a later plain init warns
    assert "demo data: LOADED" in again.output and "public" in again.output


def test_make_run_asks_for_the_demo() -> None:
    """``make run`` is the one path that loads demo data by itself (a local demo on http)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "$(FLASK) init --demo" in run_recipe
