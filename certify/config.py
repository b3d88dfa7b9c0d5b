"""Configuration: defaults, then ``instance/config.py``, then ``CERTIFY_*`` variables.

Every setting may be overridden by an environment variable named ``CERTIFY_<NAME>``; values
are parsed as JSON when they parse (``CERTIFY_MAX_UPLOAD_MB=30``), else kept as strings.
"""

from __future__ import annotations

import os
from typing import Any

import click
from flask import Flask

from certify.core.secret_key import GENERATE_HINT, secret_key_problem


class ConfigurationError(click.ClickException, RuntimeError):
    """The configuration cannot run the app safely; the message says what to change.

    A click error too: ``flask --app certify ...`` and ``certify ...`` build the app to find
    their commands, and a click error there is printed as ``Error: <message>`` with exit
    status 1, where any other exception would print a traceback before the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def defaults(instance_path: str) -> dict[str, Any]:
    """The built-in settings; everything here can be overridden."""
    return {
        **_IDENTITY,
        **_SIGNING,
        **_files(instance_path),
        **_ACCOUNTS,
        **_SERVING,
        **_JOBS_AND_MAIL,
        **_SUBMISSION,
    }


#: The registry and who certifies.
_IDENTITY: dict[str, Any] = {
    "SECRET_KEY": None,
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "REGISTRY_NAME": "certify demo registry",
    "SERIAL_PREFIX": "ISR",
    # Who certifies, as the certificate names it (issue 20): the certification body's
    # legal name (default REGISTRY_NAME), address, accreditation, and the signatory.
    "ISSUER_LEGAL_NAME": None,
    "ISSUER_ADDRESS": "",
    "ISSUER_ACCREDITATION": "",
    "ISSUER_SIGNATORY_NAME": "",
    "ISSUER_SIGNATORY_TITLE": "",
    "DATABASE_ECHO": False,
}

#: Signing: the root's CRL, an optional time-stamping authority, the key passphrase.
_SIGNING: dict[str, Any] = {
    # The root's CRL lives this many days (re-signed by `keys rotate` / `keys crl`).
    "CRL_DAYS": 400,
    # Optional RFC 3161 time-stamping authority for the PDF signatures (PAdES B-T), and a
    # PEM file with its root certificate(s), published in the key export.
    "TSA_URL": None,
    "TSA_ROOTS": None,
    "KEY_PASSPHRASE": None,
    # Keys in a PKCS#11 token (certify.hsm; docs/operations.md "Keys in a PKCS#11 token").
    # Unset PKCS11_MODULE: every key is a file in KEYS_DIR. Set: new credential and
    # document-signing keys are made in the token labelled PKCS11_TOKEN_LABEL, objects
    # labelled PKCS11_LABEL_PREFIX-...; the user PIN comes from PKCS11_PIN (use
    # CERTIFY_PKCS11_PIN or instance/config.py) or the first line of PKCS11_PIN_FILE.
    "PKCS11_MODULE": None,
    "PKCS11_TOKEN_LABEL": None,
    "PKCS11_PIN": None,
    "PKCS11_LABEL_PREFIX": "certify",
}


def _files(instance_path: str) -> dict[str, Any]:
    """Where data lives: the database, keys, stored files, rubrics; upload limits."""
    return {
        "DATABASE_URL": "sqlite:///" + os.path.join(instance_path, "certify.sqlite3"),
        "KEYS_DIR": os.path.join(instance_path, "keys"),
        # the PKCS#11 token's user PIN (a secret: only in instance/), when PKCS11_PIN is unset
        "PKCS11_PIN_FILE": os.path.join(instance_path, "pkcs11-pin"),
        "EVIDENCE_DIR": os.path.join(instance_path, "evidence"),
        # Evidence encrypted at rest (certify.storage.encrypted): a data key per file,
        # wrapped by the key-encryption key KEYS_DIR/evidence-kek.key (made when missing).
        "EVIDENCE_ENCRYPTION": True,
        # ... or by an AES key in the PKCS#11 token (made there when missing; moved there
        # from the file by `flask evidence kek-to-token`).
        "EVIDENCE_KEK_IN_TOKEN": False,
        # Retention (certify.core.retention): years after the end of the certification cycle
        # (or the upload, without a certificate) per evidence kind; the daily job erases
        # what is due by destroying its data key.
        "EVIDENCE_RETENTION_YEARS": {"application": 6, "corrective_action": 6},
        # Stored files (certify.storage): "local" keeps them in EVIDENCE_DIR and DOCUMENTS_DIR;
        # "s3" in one bucket of S3-compatible object storage shared by every server.
        "STORAGE_BACKEND": "local",
        "DOCUMENTS_DIR": os.path.join(instance_path, "documents"),
        "S3_BUCKET": None,
        "S3_ENDPOINT_URL": None,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": None,
        "S3_SECRET_ACCESS_KEY": None,
        "S3_PREFIX": "",
        "S3_TIMEOUT": 10,
        "RUBRICS_DIR": os.path.join(os.path.dirname(__file__), "rubrics"),
        # Whole-request limit; uploads have their own, smaller limit per file.
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "MAX_UPLOAD_MB": 20,
    }


#: Passwords, sign-in throttling, cookies and sessions.
_ACCOUNTS: dict[str, Any] = {
    # argon2id parameters (RFC 9106 "second recommended option" is the library default);
    # tests lower them to keep the suite fast.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    # Sign-in throttling (certify.core.lockout): failures free per (e-mail, client) pair
    # and per client before waits start, the first and longest wait, and the failures
    # from anywhere after which an account's owner is alerted (never locked out).
    "LOGIN_PAIR_LIMIT": 5,
    "LOGIN_ADDRESS_LIMIT": 20,
    "LOGIN_FIRST_WAIT_SECONDS": 30,
    "LOGIN_MAX_WAIT_SECONDS": 900,
    "LOGIN_ACCOUNT_ALERT": 20,
    # Cookies: HttpOnly and SameSite always; Secure is switched on below when the public
    # URL is https, so a local http demo still works.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "certify_session",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Server-side sessions (certify.accounts.sessions): a session unseen for the idle limit
    # ends, and every session ends at the absolute limit after sign-in, however busy.
    "SESSION_IDLE_MINUTES": 8 * 60,
    "SESSION_ABSOLUTE_HOURS": 24,
    # Second factors (certify.accounts.factors): the roles that must hold one (a TOTP app or
    # a passkey; add "auditor" and "issp" to extend it), enrolment being forced at their next
    # sign-in; the failed codes per account before waits start (the waits are the sign-in
    # ones above); how recent a second factor must be for a dangerous action
    # (certify.accounts.reauth); the WebAuthn relying party id (default: PUBLIC_URL's host).
    "SECOND_FACTOR_ROLES": ["admin", "reviewer"],
    "SECOND_FACTOR_LIMIT": 5,
    "REAUTH_MINUTES": 5,
    "WEBAUTHN_RP_ID": None,
}

#: Proxies, logs, metrics and rate limits.
_SERVING: dict[str, Any] = {
    # How many reverse proxies in front of the app to believe about the client (their
    # X-Forwarded-For, -Proto and -Host headers); 0 believes none: see certify.security.
    "TRUSTED_PROXIES": 0,
    # Logs: "text" (one readable line) or "json" (one object per line; gunicorn_conf sets it)
    "LOG_FORMAT": "text",
    # Who may read /metrics (certify.metrics.metrics_allowed): nobody unless set.
    "METRICS_TOKEN": None,
    "METRICS_ALLOW_FROM": [],
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
}

#: Background jobs, mail and the scheduler's choices.
_JOBS_AND_MAIL: dict[str, Any] = {
    # Background jobs (certify.jobs): "" = SQLite in instance/, "redis://..." = Redis,
    # "immediate" = run each job where it is enqueued (tests).
    "JOBS_URL": "",
    # E-mail (certify.notifications.delivery): no MAIL_SERVER = write .eml files to
    # MAIL_DIR (default instance/mail/), for development and the demo.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_STARTTLS": False,
    "MAIL_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "certify registry <no-reply@registry.invalid>",
    "MAIL_DIR": None,
    "MAIL_TIMEOUT": 20,
    # how long a worker holds a message it is sending before another may take it over
    "MAIL_LEASE_SECONDS": 300,
    # A major non-conformity past its due date (certify.followup): "propose" its
    # suspension to the admins, who confirm with one click, or "suspend" at once.
    "NC_OVERDUE_ACTION": "propose",
    # A non-conformity regraded on appeal gets the new grade's deadline counted from the day
    # it was raised, but never less than this many days from the regrade.
    "NC_REGRADE_MIN_DAYS": 14,
    # The cycle (certify.cycle): a surveillance case opens this many days before its due
    # date; one not decided this many days after it is overdue ("propose" the suspension for
    # surveillance_not_done to the admins, or "suspend" at once); a recertification case
    # opens this many months before expiry.
    "SURVEILLANCE_WINDOW_DAYS": 90,
    "SURVEILLANCE_GRACE_DAYS": 30,
    "SURVEILLANCE_OVERDUE_ACTION": "propose",
    "RECERTIFICATION_MONTHS": 6,
    # Complaints (certify.complaints): days to acknowledge one, and years a decided
    # complaint's personal data (contact, text, files) is kept before it is erased.
    "COMPLAINT_ACKNOWLEDGE_DAYS": 5,
    "COMPLAINT_RETENTION_YEARS": 6,
    # Days from receipt to decide (close) a complaint; the handler is reminded this many
    # days before (COMPLAINT_CLOSE_WARN_DAYS), and the handler and the admins once it passed.
    "COMPLAINT_CLOSE_DAYS": 90,
    "COMPLAINT_CLOSE_WARN_DAYS": 14,
}


#: What an ISSP confirms when it submits (shown on the submit form, recorded with the
#: submission: the agreement's version and a SHA-256 of the texts shown). Change
#: AGREEMENT_VERSION whenever the text changes; blank lines separate paragraphs.
_SUBMISSION: dict[str, Any] = {
    "SUBMISSION_ATTESTATION": (
        "I confirm that the information and evidence in this application are true and complete "
        "to the best of my knowledge, and that I may submit it for the organisation."
    ),
    "AGREEMENT_VERSION": "2026-1",
    "AGREEMENT_TITLE": "Certification agreement",
    "AGREEMENT_TEXT": """\
The organisation gives the certification body's auditors access to its sites, records and
workers, including private interviews with workers chosen by the auditor.

The organisation tells the certification body within 30 days of any change that affects its
certification: sites, services, ownership, or the people it employs under the standard.

The organisation accepts annual surveillance, and that its certificate may be suspended or
withdrawn under the standard's rules; the registry shows the certificate's status publicly.

The organisation uses the certificate, the registry entry and any mark only for the sites and
services certified, and stops using them when the certificate is suspended, withdrawn or expired.

Complaints about the organisation and appeals of the body's decisions are handled under the
body's published complaints and appeals procedure.""",
}


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config``: defaults, ``instance/config.py``, ``CERTIFY_*``, then *test_config*.

    Raises:
        ConfigurationError: outside testing when the secret key is missing, published in the
            repository, too short or patterned.
    """
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CERTIFY")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["PUBLIC_URL"] = str(app.config["PUBLIC_URL"]).rstrip("/")
    if app.config["PUBLIC_URL"].startswith("https://"):
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    _check_secret_key(app)
    _check_trusted_proxies(app)
    _check_storage(app)
    _check_token(app)


def _check_token(app: Flask) -> None:
    if app.config.get("EVIDENCE_KEK_IN_TOKEN") and not app.config.get("PKCS11_MODULE"):
        raise ConfigurationError(
            "EVIDENCE_KEK_IN_TOKEN is on but PKCS11_MODULE is not set: the evidence "
            "key-encryption key would have no token to live in."
        )


def _check_storage(app: Flask) -> None:
    from certify.storage.setup import storage_problem

    problem = storage_problem(app.config)
    if problem is not None:
        raise ConfigurationError(problem)


def _check_trusted_proxies(app: Flask) -> None:
    hops = app.config.get("TRUSTED_PROXIES")
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ConfigurationError(
            f"TRUSTED_PROXIES must be the number of reverse proxies in front of certify (0, 1, "
            f"2 ...), not {hops!r}."
        )


def _check_secret_key(app: Flask) -> None:
    """Outside testing, refuse a secret key anyone could know or guess: whoever knows it can
    forge a session cookie and CSRF tokens (:mod:`certify.core.secret_key` says what is
    refused)."""
    if app.config.get("TESTING"):
        return
    problem = secret_key_problem(app.config.get("SECRET_KEY"))
    if problem is not None:
        raise ConfigurationError(
            f"certify will not start: {problem} Anyone who knows or guesses the secret key can "
            "forge a signed-in session. Set SECRET_KEY in instance/config.py or "
            f"CERTIFY_SECRET_KEY to a long random value. {GENERATE_HINT}"
        )
    # Flask also accepts cookies signed with any of SECRET_KEY_FALLBACKS (key rotation).
    for fallback in app.config.get("SECRET_KEY_FALLBACKS") or []:
        problem = secret_key_problem(fallback)
        if problem is not None:
            raise ConfigurationError(
                f"certify will not start: in SECRET_KEY_FALLBACKS, {problem[0].lower()}"
                f"{problem[1:]} Cookies signed with a fallback key are accepted too: remove it."
            )
