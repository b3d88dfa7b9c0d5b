"""``flask --app certify keys generate|list|rotate|crl|export|kek-to-token`` and
``certificates list|suspend|reinstate|withdraw|withdraw-lapsed``, and the ``flask init`` step
that creates missing keys."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from certify import clock, lifecycle
from certify.accounts.access import command_actor
from certify.certificates import operations, token_keys
from certify.certificates.crl import crl_next_update
from certify.certificates.keys import (
    KeyStore,
    KeyStoreError,
    ensure_keys,
    get_keystore,
    keys_folder,
)
from certify.certificates.models import REASON_CATEGORIES, Certificate
from certify.certificates.queries import certificate_by_serial
from certify.certificates.rotation import resign_crl, rotate_keys
from certify.certificates.timestamps import tsa_roots_pem
from certify.core.credentials.dates import format_datetime
from certify.core.serial import SerialError, normalise_serial
from certify.core.text import for_terminal
from certify.db import db_session
from certify.hsm.token import token_problem
from certify.operations import OperationError
from certify.translog.store import stored_origin


def create_missing_keys(location: str | None = None) -> None:
    """The ``flask init`` step: create whatever part of the key set is missing (new signing
    keys in the token when one is configured, or at *location*)."""
    try:
        created = ensure_keys(location=location)
    except KeyStoreError as exc:
        raise click.ClickException(str(exc)) from None
    folder = keys_folder()
    if created:
        where = location or token_keys.default_location()
        token = " (signing keys in the PKCS#11 token)" if where == token_keys.PKCS11 else ""
        click.echo(f"keys: created {', '.join(created)} in {folder}{token}")
    else:
        click.echo(f"keys: present in {folder}")


_location = click.option(
    "--pkcs11/--files",
    "pkcs11",
    default=None,
    help="Make the new credential and document-signing keys in the PKCS#11 token "
    "(PKCS11_MODULE, PKCS11_TOKEN_LABEL, the PIN) or as files in the key folder.",
)


def _where(pkcs11: bool | None) -> str | None:
    if pkcs11 is None:
        return None
    return token_keys.PKCS11 if pkcs11 else token_keys.FILES


# --------------------------------------------------------------------------- keys


@click.group("keys")
def keys_group() -> None:
    """The registry's signing keys."""


def _store():
    try:
        return get_keystore()
    except KeyStoreError as exc:
        raise click.ClickException(str(exc)) from exc


@keys_group.command("generate")
@_location
@with_appcontext
def keys_generate(pkcs11: bool | None) -> None:
    """Create whatever part of the key set is missing (what ``init`` does), the credential
    and document-signing keys in the PKCS#11 token with --pkcs11 (the default when
    PKCS11_MODULE is set) or as files with --files. Existing keys are never replaced: to
    move a key set into the token, use 'keys rotate --pkcs11'."""
    create_missing_keys(_where(pkcs11))


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """List the credential keys, document-signing certificates, root CA and log key, and
    where each private key lives (a file or the PKCS#11 token). Exit status 1 when the keys'
    token is configured but cannot be opened."""
    store = _store()
    click.echo("credential keys (Ed25519):")
    for key in store.credential_keys:
        until = format_datetime(key.valid_until) if key.valid_until else "current"
        click.echo(f"  {key.id}  {format_datetime(key.valid_from)} .. {until}")
        click.echo(f"    private key: {store.locations.get(key.id, '?')}")
    click.echo("document-signing certificates (ECDSA P-256):")
    for cert in store.signing_certs:
        until = format_datetime(cert.valid_until) if cert.valid_until else "current"
        end = format_datetime(cert.certificate.not_valid_after_utc)
        click.echo(
            f"  {cert.name}  signs {format_datetime(cert.valid_from)} .. {until}, "
            f"certificate valid to {end}"
        )
        click.echo(f"    {cert.fingerprint}")
        click.echo(f"    private key: {store.locations.get(cert.name, '?')}")
    from certify.core.pdf import pki

    root_state = "present" if store.root_key_present else "absent (offline)"
    click.echo(f"root CA: valid to {format_datetime(store.root_cert.not_valid_after_utc)}")
    click.echo(f"  {pki.cert_fingerprint(store.root_cert)}; private key {root_state}")
    click.echo(f"log key: {store.log_verifier_key(stored_origin(db_session()))}")
    if store.crl is None:
        click.echo("root CRL: none yet (run 'keys crl' with the root key)")
    else:
        crl_until = crl_next_update(store.crl)
        click.echo(f"root CRL: valid to {format_datetime(crl_until) if crl_until else '?'}")
    _report_token(store)


def _report_token(store: KeyStore) -> None:
    """The token's line of ``keys list``; exit status 1 when it cannot be opened."""
    if store.token is None:
        click.echo("PKCS#11 token: not configured (every key is a file)")
        return
    problem = token_problem(store.token)
    label, module = store.token.token_label, store.token.module
    if problem is None:
        click.echo(f"PKCS#11 token: {label!r} in {module}, logged in")
        return
    click.echo(f"PKCS#11 token: {label!r} in {module}: {problem}", err=True)
    sys.exit(1)


@keys_group.command("rotate")
@click.option(
    "--root-key",
    "root_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The root CA's private key file, when it is kept offline.",
)
@click.option(
    "--credential-only",
    is_flag=True,
    help="Rotate only the credential key (no new document-signing certificate: no root key).",
)
@_location
@click.option("--yes", "yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@with_appcontext
def keys_rotate(
    root_key: Path | None, credential_only: bool, pkcs11: bool | None, yes: bool
) -> None:
    """Sign from now on with a new credential key and a new document-signing certificate.

    Old public keys stay published with their validity windows, so everything signed
    before keeps verifying. A new document-signing certificate needs the root CA's private
    key: from the key folder, or --root-key PATH when it is kept offline. The new keys are
    made where the current credential key lives, or in the PKCS#11 token with --pkcs11 (the
    way to move a key set into the token) or as files with --files. Asks for confirmation
    unless --yes is given.
    """
    what = "the credential key" if credential_only else "the credential key and signing certificate"
    if not yes:
        click.confirm(
            f"Rotate {what}? Everything issued from now on is signed with the new key(s), "
            "the change is announced in the public transparency log and cannot be undone "
            "(old keys stay published, so what was signed before keeps verifying)",
            abort=True,
        )
    root_passphrase = None
    if root_key is not None and b"ENCRYPTED" in root_key.read_bytes():
        configured = current_app.config.get("KEY_PASSPHRASE")
        if not configured:
            root_passphrase = click.prompt("Root key passphrase", hide_input=True)
    try:
        result = rotate_keys(
            root_key_path=root_key,
            root_passphrase=root_passphrase,
            credential_only=credential_only,
            location=_where(pkcs11),
        )
    except KeyStoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"new credential key: {result['credential_key']}")
    if result["signing_cert"]:
        click.echo(f"new document-signing certificate: {result['signing_cert']}")
    session = db_session()
    try:
        lifecycle.record_key_rotation(session, result, command_actor())
        session.commit()
    except Exception as exc:
        session.rollback()
        raise click.ClickException(
            f"the keys were rotated, but recording it failed ({exc}); run "
            "'flask --app certify init' to announce the new keys in the transparency log"
        ) from exc
    click.echo("recorded in the audit trail; the new keys are announced in the transparency log")
    click.echo("restart is not needed: running workers reload the keys on their next request")


@keys_group.command("crl")
@click.option(
    "--root-key",
    "root_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The root CA's private key file, when it is kept offline.",
)
@click.option(
    "--revoke",
    multiple=True,
    metavar="NAME",
    help="Revoke this document-signing certificate (signing-<n>, see 'keys list').",
)
@with_appcontext
def keys_crl(root_key: Path | None, revoke: tuple[str, ...]) -> None:
    """Sign a new CRL with the root key (before the current one runs out, or to revoke a
    document-signing certificate). It is served at /.well-known/certify/root.crl."""
    root_passphrase = None
    encrypted = root_key is not None and b"ENCRYPTED" in root_key.read_bytes()
    if encrypted and not current_app.config.get("KEY_PASSPHRASE"):
        root_passphrase = click.prompt("Root key passphrase", hide_input=True)
    try:
        der = resign_crl(root_key_path=root_key, root_passphrase=root_passphrase, revoke=revoke)
    except (KeyStoreError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    until = crl_next_update(der)
    click.echo(f"root CRL signed, valid to {format_datetime(until) if until else '?'}")
    for name in revoke:
        click.echo(f"revoked: {name} (run 'keys rotate' if it was the current one)")


@keys_group.command("export")
@click.option("-o", "--output", type=click.File("w"), default="-", help="File (default stdout).")
@with_appcontext
def keys_export(output) -> None:
    """Print the key export a verifier pins (also served at /.well-known/certify/keys.json)."""
    export = _store().export(
        current_app.config["PUBLIC_URL"], stored_origin(db_session()), tsa_roots_pem()
    )
    output.write(json.dumps(export, indent=2) + "\n")


# --------------------------------------------------------------------------- certificates


@click.group("certificates")
def certificates_group() -> None:
    """Issued certificates and their status."""


def _serial(text: str) -> str:
    try:
        return normalise_serial(text, current_app.config["SERIAL_PREFIX"])
    except SerialError as exc:
        raise click.BadParameter(str(exc), param_hint="SERIAL") from exc


def _certificate(serial: str) -> Certificate:
    certificate = certificate_by_serial(db_session(), serial)
    if certificate is None:
        raise click.ClickException(f"no certificate {serial}")
    return certificate


@certificates_group.command("list")
@click.option("--status", help="Only this status (active, suspended, withdrawn, ...).")
@with_appcontext
def certificates_list(status: str | None) -> None:
    """List certificates, newest first."""
    now = clock.now()
    rows = db_session().scalars(select(Certificate).order_by(Certificate.issued_at.desc()))
    shown = 0
    for c in rows:
        current = c.status_at(now).value
        if status and current != status:
            continue
        shown += 1
        click.echo(
            f"{c.serial}  {current:<10}  {c.level:<26}  {c.issued_at:%Y-%m-%d}.."
            f"{c.valid_until:%Y-%m-%d}  {for_terminal(c.holder_name)}"
        )
    if not shown:
        click.echo("no certificates")


_category = click.option(
    "--category", required=True, type=click.Choice(REASON_CATEGORIES), help="Reason category."
)
_reason = click.option("--reason", required=True, help="The reason, in words.")


def _run(change) -> None:
    session = db_session()
    try:
        result = change(session, command_actor())
    except OperationError as exc:
        session.rollback()
        click.echo(f"refused: {exc.message}", err=True)
        sys.exit(1)
    session.commit()
    click.echo(f"{result.certificate.serial}: {result.previous_status} -> {result.new_status}")


@certificates_group.command("suspend")
@click.argument("serial")
@_category
@_reason
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the suspension (UTC); default: the longest the standard allows.",
)
@with_appcontext
def certificates_suspend(
    serial: str, category: str, reason: str, until: dt.datetime | None
) -> None:
    """Suspend the certificate SERIAL (typed any way: case, spaces, O for 0)."""
    certificate = _certificate(_serial(serial))
    end = dt.datetime.combine(until.date(), dt.time(23, 59, 59), tzinfo=dt.UTC) if until else None
    _run(
        lambda s, actor: lifecycle.suspend_certificate(s, certificate, actor, category, reason, end)
    )


@certificates_group.command("reinstate")
@click.argument("serial")
@_reason
@with_appcontext
def certificates_reinstate(serial: str, reason: str) -> None:
    """Lift the suspension of the certificate SERIAL."""
    certificate = _certificate(_serial(serial))
    _run(lambda s, actor: lifecycle.reinstate_certificate(s, certificate, actor, reason))


@certificates_group.command("withdraw")
@click.argument("serial")
@_category
@_reason
@with_appcontext
def certificates_withdraw(serial: str, category: str, reason: str) -> None:
    """Withdraw the certificate SERIAL for good."""
    certificate = _certificate(_serial(serial))
    _run(lambda s, actor: lifecycle.withdraw_certificate(s, certificate, actor, category, reason))


@certificates_group.command("withdraw-lapsed")
@click.option("--apply", "apply_", is_flag=True, help="Withdraw them (without it: only list).")
@with_appcontext
def certificates_withdraw_lapsed(apply_: bool) -> None:
    """Withdraw the certificates whose suspension ended without reinstatement.

    The standard lets a suspension last a set time (ISRPS 1.0: at most six months); then the
    certificate is withdrawn, for the suspension's reason category. Without --apply this
    lists what would be withdrawn and changes nothing. Run it daily, e.g. from cron:
    ``flask --app certify certificates withdraw-lapsed --apply``. Exit status 1 when a
    withdrawal failed (the others are kept: one transaction per certificate).
    """
    session = db_session()
    now = clock.now()
    due = operations.lapsed_suspensions(session, now)
    if not due:
        click.echo("no suspension has ended without reinstatement")
        return
    failed = 0
    for certificate in due:
        line = (
            f"{certificate.serial}  suspended until "
            f"{certificate.suspended_until:%Y-%m-%d}  {for_terminal(certificate.holder_name)}"
        )
        if not apply_:
            click.echo(f"{line}  (to withdraw)")
            continue
        try:
            lifecycle.withdraw_lapsed_suspension(session, certificate, command_actor(), now=now)
            session.commit()
        except OperationError as exc:
            session.rollback()
            failed += 1
            click.echo(f"{line}  refused: {exc.message}", err=True)
            continue
        click.echo(f"{line}  -> withdrawn")
    if not apply_:
        click.echo(f"{len(due)} to withdraw: run again with --apply to withdraw them")
    if failed:
        sys.exit(1)
