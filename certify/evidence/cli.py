"""``flask --app certify evidence sweep``: remove what crashed uploads left in the store."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from certify import clock
from certify.accounts.access import command_actor
from certify.db import db_session
from certify.storage.backends import StorageError
from certify.transaction import command_transaction


@click.group("evidence")
def evidence_group() -> None:
    """The evidence store."""


@evidence_group.command("sweep")
@click.option("--apply", "apply_", is_flag=True, help="Remove them (without it: only list).")
@with_appcontext
def evidence_sweep(apply_: bool) -> None:
    """Remove temporary upload files and stored files no evidence row names, both older than
    a day (left by a process killed mid-upload or before its database write). Without --apply
    this lists the unreferenced files and changes nothing."""
    from certify.applications.web import evidence_store
    from certify.evidence.operations import sweep_evidence_store

    with command_transaction(db_session()) as session:
        sweep = sweep_evidence_store(
            session, evidence_store(), command_actor(), now=clock.now(), apply=apply_
        )
    for digest in sweep.orphans:
        click.echo(f"{digest}  {'removed' if apply_ else 'unreferenced'}")
    if apply_:
        click.echo(
            f"removed {len(sweep.orphans)} unreferenced file(s) and "
            f"{sweep.temp_files} temporary file(s)"
        )
    else:
        click.echo(f"{len(sweep.orphans)} unreferenced file(s): run again with --apply")


@evidence_group.command("encrypt")
@with_appcontext
def evidence_encrypt() -> None:
    """Encrypt evidence stored before encryption at rest, checking each file: its plaintext
    must hash to its name, and the encrypted copy must decrypt to it before it replaces the
    plaintext. Files already encrypted are checked too. Safe to interrupt and run again."""
    from certify.applications.web import evidence_store
    from certify.storage.encrypted import EncryptedBackend, encrypt_in_place

    backend = evidence_store().backend
    if not isinstance(backend, EncryptedBackend):
        raise click.ClickException("EVIDENCE_ENCRYPTION is off: nothing to encrypt with.")
    try:
        key_id = backend.kek.key_id
    except StorageError as exc:
        raise click.ClickException(exc.message) from None
    digests = list(backend.iter_digests())
    click.echo(f"{len(digests)} evidence file(s); key-encryption key {key_id}")
    counts = {"encrypted": 0, "already": 0, "problem": 0}
    for number, digest in enumerate(digests, start=1):
        try:
            outcome = encrypt_in_place(backend, digest)
        except StorageError as exc:
            outcome = "problem"
            click.echo(f"[{number}/{len(digests)}] {digest}  PROBLEM: {exc.message}", err=True)
        else:
            click.echo(f"[{number}/{len(digests)}] {digest}  {outcome}")
        counts[outcome] += 1
    click.echo(
        f"{counts['encrypted']} encrypted, {counts['already']} already encrypted, "
        f"{counts['problem']} with problems"
    )
    if counts["problem"]:
        raise SystemExit(1)


@evidence_group.command("kek-to-token")
@with_appcontext
def evidence_kek_to_token() -> None:
    """Move the evidence key-encryption key into the PKCS#11 token (PKCS11_MODULE ...): the
    key in KEYS_DIR/evidence-kek.key is imported as a sensitive, non-extractable AES key under
    its own id, so every data key it wrapped keeps opening. Then set EVIDENCE_KEK_IN_TOKEN,
    check evidence opens, keep the file in an offline backup and delete it from the server."""
    from flask import current_app

    from certify.evidence.kek import KekError, kek_path, move_kek_to_token

    try:
        key_id = move_kek_to_token(current_app.config)
    except KekError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"evidence key-encryption key {key_id} is now in the token")
    click.echo(
        f"next: set EVIDENCE_KEK_IN_TOKEN = True, check evidence opens, then keep "
        f"{kek_path(current_app.config)} in an offline backup and delete it from this server"
    )
