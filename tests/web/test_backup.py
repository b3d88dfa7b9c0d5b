"""The restore drill: the demo registry is backed up with the real commands, restored into an
empty database and empty object storage (a real S3-compatible server), and the copy passes
``audit verify``, ``log verify``, ``storage verify``, verifies its certificates and lets the
demo admin sign in with the printed TOTP secret (stored sealed by the restored KEK). On SQLite
and, with CERTIFY_TEST_DATABASE_URL, on PostgreSQL (pg_dump / pg_restore, new databases)."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL
from tests.core.tools import require_tool

REPO = Path(__file__).resolve().parents[2]
SERIALS_AND_DOCUMENTS = text(
    "SELECT c.serial, d.pdf_sha256 FROM certificate c "
    "JOIN certificate_document d ON d.certificate_id = c.id"
)
PASSPHRASE = "restore drill passphrase"


def _admin_engine():
    return create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def two_databases(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two new, empty databases: the registry and the one it is restored into."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path}/source.sqlite3", f"sqlite:///{tmp_path}/restored.sqlite3"
        return
    require_tool("pg_dump"), require_tool("pg_restore")
    names = [f"certify_drill_{secrets.token_hex(4)}_{n}" for n in ("source", "restored")]
    engine = _admin_engine()
    with engine.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(TEST_DATABASE_URL)
    yield tuple(base.set(database=n).render_as_string(hide_password=False) for n in names)  # type: ignore[misc]
    with engine.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``flask --app certify ARGS`` as an operator runs it (the package from this checkout)."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "certify", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def instance_env(database_url: str, instance: Path, **settings: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTIFY_")}
    env.update(
        CERTIFY_DATABASE_URL=database_url,
        CERTIFY_INSTANCE_PATH=str(instance),
        CERTIFY_SECRET_KEY=secrets.token_hex(32),
        CERTIFY_JOBS_URL="immediate",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for name, value in settings.items():
        env[f"CERTIFY_{name}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def test_the_demo_is_backed_up_and_restored_into_empty_database_and_storage(
    two_databases, tmp_path, s3_settings
) -> None:
    source_url, restored_url = two_databases
    source = instance_env(source_url, tmp_path / "source")
    done = flask(source, "init", "--demo")
    assert done.returncode == 0, done.stderr
    backups = tmp_path / "backups"
    made = flask({**source, "CERTIFY_BACKUP_PASSPHRASE": PASSPHRASE}, "backup", str(backups))
    assert made.returncode == 0, made.stderr
    (backup,) = backups.iterdir()
    assert backup.name.startswith("certify-backup-") and not backup.name.endswith(".partial")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["storage"]["documents"]  # the demo's certificate PDFs
    assert b"PRIVATE KEY" not in (backup / "keys.sealed").read_bytes()

    restored = instance_env(restored_url, tmp_path / "restored", **s3_settings)
    wrong = flask(
        {**restored, "CERTIFY_BACKUP_PASSPHRASE": "not the passphrase"}, "restore", str(backup)
    )
    assert wrong.returncode == 1
    assert "passphrase does not open the keys" in wrong.stderr
    assert not (tmp_path / "restored" / "keys").exists()  # nothing written

    right = flask({**restored, "CERTIFY_BACKUP_PASSPHRASE": PASSPHRASE}, "restore", str(backup))
    assert right.returncode == 0, right.stderr
    for command in (("audit", "verify"), ("log", "verify"), ("storage", "verify")):
        checked = flask(restored, *command)
        assert checked.returncode == 0, f"{command}: {checked.stdout}{checked.stderr}"
    again = flask({**restored, "CERTIFY_BACKUP_PASSPHRASE": PASSPHRASE}, "restore", str(backup))
    assert again.returncode == 1 and "not empty" in again.stderr

    _certificates_verify_on_the_restored_copy(restored_url, tmp_path / "restored", s3_settings)


def _demo_admin_signs_in_with_the_printed_totp(app) -> None:
    """The demo admin's TOTP secret is sealed by the KEK: the restored keys must open it."""
    from certify.core.second_factor import step_at, totp_code
    from certify.db import db_session
    from certify.demo import DEMO_TOTP_SECRET
    from certify.state import app_state

    with app.app_context():
        stored = db_session().execute(text("SELECT secret FROM totp_credential")).scalars().all()
    assert stored and not any(DEMO_TOTP_SECRET in secret for secret in stored)  # the backup's too
    client = app.test_client()
    password = client.post(
        "/login", data={"email": "admin@demo.certify.test", "password": "demo-admin-2026"}
    )
    assert password.headers["Location"] == "/login/second-factor"
    code = totp_code(DEMO_TOTP_SECRET, step_at(app_state(app).clock.now()))
    signed_in = client.post("/login/second-factor", data={"code": code})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 200


def _certificates_verify_on_the_restored_copy(url: str, instance: Path, s3: dict) -> None:
    from certify import create_app
    from certify.certificates.models import Certificate
    from certify.certificates.pdf import CertificateDocument
    from certify.db import db_session
    from certify.storage.setup import document_store
    from tests.web.conftest import make_test_config

    app = create_app(make_test_config(url, str(instance), PUBLIC_URL="http://127.0.0.1:5000", **s3))
    client = app.test_client()
    verdicts = {}
    with app.app_context():
        rows = db_session().execute(SERIALS_AND_DOCUMENTS).all()
        store = document_store()
        for serial, digest in rows:
            pdf = store.read(digest)  # from the restored object storage, hash checked
            answer = client.post(
                "/api/v1/verify",
                data={"file": (io.BytesIO(pdf), "c.pdf")},
                content_type="multipart/form-data",
            )
            verdicts[serial] = answer.json["verdict"]
            served = client.get(f"/certificates/{serial}.pdf")
            assert served.data == pdf
        assert (
            len(rows)
            == db_session().query(Certificate).count()
            == db_session().query(CertificateDocument).count()
        )
    assert "valid" in verdicts.values()
    assert not {"tampered", "untrusted", "unknown"} & set(verdicts.values()), verdicts
    _demo_admin_signs_in_with_the_printed_totp(app)
    app.extensions["certify"].db.engine.dispose()  # PostgreSQL: the database is dropped next
