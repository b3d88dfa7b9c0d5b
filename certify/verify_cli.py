"""``certify-verify FILE [--keys FILE | --registry URL]``: check a certificate offline.

Needs no database and no app. With ``--keys`` it uses a pinned key export and no network.
With ``--registry`` it fetches the registry's key export once, pins it under the user's
configuration folder, warns loudly when a pinned registry's keys change, and asks the registry
for the certificate's live status. Offline, ``--status FILE`` supplies saved status-list
credentials (``/status/<purpose>/<list>``), checked against the pinned keys; their age counts
against ``--max-status-age``.

Exit status: 0 valid *with status known fresh enough*, 1 any other verdict, 2 usage, file or
network errors (a PDF too damaged or truncated to read is a file error), 3 a genuine document
whose status is unknown (offline without status lists, or lists too old), which
``--accept-unknown-status`` turns into 0. pyHanko's warnings about a damaged file are
summarised in one line on stderr, never printed as tracebacks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from certify.core.strict_json import JsonInputError, parse_json
from certify.core.verification.document import verify_document
from certify.core.verification.model import NotADocument, RegistryKeys, RegistryRecord, Verification
from certify.core.verification.offline import (
    STATUS_UNKNOWN,
    StatusEvidence,
    StatusListUnusable,
    offline_outcome,
    status_from_lists,
)

TIMEOUT = 15
MARKS = {True: "PASS", False: "FAIL", None: "----"}


class CliError(Exception):
    """A usage, file or network problem (exit 2)."""


def _fetch(url: str, accept: str = "application/json") -> tuple[int, bytes]:
    if not url.startswith(("https://", "http://")):
        raise CliError(f"not an http(s) address: {url}")
    # http(s) only, checked above: never file: or custom schemes
    request = urllib.request.Request(  # noqa: S310
        url, headers={"Accept": accept, "User-Agent": "certify-verify"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only, checked above
            return response.status, response.read(20 * 1024 * 1024)
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise CliError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from exc


def pin_folder() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "certify" / "pins"


def _pin_path(registry: str) -> Path:
    host = urllib.parse.urlsplit(registry).netloc.replace(":", "_") or "registry"
    return pin_folder() / f"{host}.json"


def load_keys_file(path: str) -> tuple[RegistryKeys, dict[str, Any]]:
    try:
        export = parse_json(Path(path).read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read the key file {path}: {exc.strerror}") from exc
    except JsonInputError as exc:
        raise CliError(f"{path} is not a usable key export: {exc}") from exc
    if not isinstance(export, dict):
        raise CliError(f"{path} is not a usable key export: not a JSON object")
    try:
        return RegistryKeys.from_export(export), export
    except ValueError as exc:
        raise CliError(f"{path}: {exc}") from exc


def pinned_registry_keys(
    registry: str, accept_new: bool, warn: Any
) -> tuple[RegistryKeys, dict[str, Any]]:
    """The registry's keys: the pinned copy, refreshed when the registry only added keys."""
    registry = registry.rstrip("/")
    status, body = _fetch(f"{registry}/.well-known/certify/keys.json")
    if status != 200:
        raise CliError(f"{registry} answered HTTP {status} for its key export")
    try:
        fetched_export = parse_json(body)
        if not isinstance(fetched_export, dict):
            raise ValueError("not a JSON object")
        fetched = RegistryKeys.from_export(fetched_export)
    except ValueError as exc:  # JsonInputError is a ValueError
        raise CliError(f"{registry} serves an unusable key export: {exc}") from exc
    if fetched.registry != registry:
        warn(f"WARNING: {registry} calls itself {fetched.registry}")
    path = _pin_path(registry)
    if path.exists():
        pinned, pinned_export = load_keys_file(str(path))
        old_keys = {k.id for k in pinned.credential_keys}
        new_keys = {k.id for k in fetched.credential_keys}
        if pinned.root_fingerprint != fetched.root_fingerprint or not old_keys <= new_keys:
            warn("!" * 72)
            warn(f"WARNING: THE KEYS OF {registry} CHANGED SINCE YOU PINNED THEM ({path}).")
            warn(f"  pinned root: {pinned.root_fingerprint}")
            warn(f"  served root: {fetched.root_fingerprint}")
            warn("  This happens if the registry replaced its root or removed keys, or if you")
            warn("  are talking to an impostor. Confirm with the registry by another channel.")
            if not accept_new:
                warn("  Verifying with the PINNED keys. Use --accept-new-keys to re-pin.")
                warn("!" * 72)
                return pinned, pinned_export
            warn("  --accept-new-keys given: re-pinning the served keys.")
            warn("!" * 72)
        elif new_keys != old_keys:
            warn(
                f"note: {registry} added {len(new_keys - old_keys)} new credential key(s) "
                "(a key rotation); the pin is updated."
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fetched_export, indent=2, sort_keys=True), encoding="utf-8")
    return fetched, fetched_export


def online_lookup(registry: str) -> Callable[[str], RegistryRecord]:
    """A record lookup that asks the registry's API, for :func:`verify_document`."""

    def lookup(serial: str) -> RegistryRecord:
        quoted = urllib.parse.quote(serial)
        status, body = _fetch(f"{registry}/api/v1/certificates/{quoted}")
        if status == 404:
            return RegistryRecord(found=False)
        if status != 200:
            raise CliError(f"{registry} answered HTTP {status} for certificate {serial}")
        try:
            info = parse_json(body)
        except JsonInputError as exc:
            raise CliError(f"{registry} sent unreadable status for {serial}: {exc}") from exc
        if not isinstance(info, dict):
            raise CliError(f"{registry} sent unreadable status for {serial}")
        code, credential = _fetch(f"{registry}/certificates/{quoted}.json")
        return RegistryRecord(
            True,
            credential if code == 200 else None,
            str(info.get("status")),
            str(info.get("statusDetail") or f"status: {info.get('status')}"),
            info,
        )

    return lookup


def _log_check(export: dict[str, Any]) -> Callable[[str, bytes], tuple[bool, str]] | None:
    log_key = export.get("log_key")
    if not log_key:
        return None
    try:
        from certify.core.tlog.logproof import verify_certificate_log_proof
    except ImportError:  # a certify without the transparency log
        return None
    from certify.core.tlog.note import NoteError, parse_verifier_key

    try:
        # The log key is named by the log's origin, fixed when the log was created: it may
        # differ from the registry's address today.
        origin = parse_verifier_key(str(log_key)).name
    except NoteError:
        return None
    return lambda proof, credential: verify_certificate_log_proof(
        proof, credential, log_key, origin
    )


#: The verdict in plain words, after its name (the web page's headlines).
VERDICT_WORDS = {
    "valid": "genuine and valid",
    "tampered": "altered after signing: do not trust this document",
    "untrusted": "not issued by this registry",
    "unknown": "the registry holds no such certificate",
    STATUS_UNKNOWN: "genuine, but its status is unknown: it may be suspended or withdrawn",
}
DEFAULT_MAX_STATUS_AGE = "24h"
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: Libraries whose log records are collected while checking, never printed as they come.
LIBRARY_LOGGERS = ("pyhanko", "pyhanko_certvalidator")


def report(result: Verification, out: Any) -> None:
    width = max(len(c.name) for c in result.checks)
    for check in result.checks:
        print(f"  [{MARKS[check.ok]}] {check.name:<{width}}  {check.detail}", file=out)
    words = VERDICT_WORDS.get(result.verdict)
    print(f"\nverdict: {result.verdict.upper()}" + (f" ({words})" if words else ""), file=out)
    if result.serial:
        print(f"serial:  {result.serial}", file=out)
    print(f"status:  {result.freshness}", file=out)


class _Collected(logging.Handler):
    """Keeps the library's warnings (their tracebacks too) instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def library_logs_collected() -> Iterator[_Collected]:
    """While checking, pyHanko's log records (warnings with tracebacks about a damaged file,
    which Python's last-resort handler would print to stderr) go to a collector; the caller
    summarises them in one line. The loggers are restored afterwards."""
    handler = _Collected()
    saved = []
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate))
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield handler
    finally:
        for logger, propagate in saved:
            logger.removeHandler(handler)
            logger.propagate = propagate


def _summary(records: list[logging.LogRecord]) -> str | None:
    """One line for what the PDF library reported, or None when it reported nothing."""
    if not records:
        return None
    first = records[0].getMessage().splitlines()[0][:160]
    more = f" and {len(records) - 1} more" if len(records) > 1 else ""
    return f"note: the PDF reader reported a problem with this file: {first}{more}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="certify-verify",
        description="Check a certify certificate (PDF or credential "
        "JSON): genuine, unmodified, issued by the registry, valid today.",
    )
    parser.add_argument("file", help="the certificate PDF or credential JSON")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--keys", metavar="FILE", help="a pinned key export: fully offline")
    source.add_argument(
        "--registry",
        metavar="URL",
        help="the registry's address: pins its keys, checks live status",
    )
    parser.add_argument(
        "--accept-new-keys",
        action="store_true",
        help="re-pin when a pinned registry's keys changed",
    )
    parser.add_argument(
        "--status",
        metavar="FILE",
        action="append",
        default=[],
        help="a saved status-list credential (/status/<purpose>/<list>); repeat for each",
    )
    parser.add_argument(
        "--max-status-age",
        metavar="AGE",
        type=_age,
        default=_age(DEFAULT_MAX_STATUS_AGE),
        help=f"how old saved status may be: 90m, 24h, 7d (default {DEFAULT_MAX_STATUS_AGE})",
    )
    parser.add_argument(
        "--accept-unknown-status",
        action="store_true",
        help="exit 0, not 3, for a genuine certificate whose status is unknown",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _age(text: str) -> dt.timedelta:
    unit = _AGE_UNITS.get(text[-1:].lower())
    number = text[:-1] if unit else text
    if not number.isdigit():
        raise argparse.ArgumentTypeError(f"not an age like 90m, 24h or 7d: {text!r}")
    return dt.timedelta(seconds=int(number) * (unit or 3600))


def read_status_files(paths: list[str]) -> list[dict[str, Any]]:
    """The status-list credentials in *paths* (each one JSON object, or a list of them).

    Raises:
        CliError: a file cannot be read or is not JSON objects.
    """
    documents: list[dict[str, Any]] = []
    for path in paths:
        try:
            value = parse_json(Path(path).read_bytes())
        except OSError as exc:
            raise CliError(f"cannot read the status file {path}: {exc.strerror}") from exc
        except JsonInputError as exc:
            raise CliError(f"{path} is not a status list credential: {exc}") from exc
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, dict) for item in items):
            raise CliError(f"{path} is not a status list credential (a JSON object)")
        documents.extend(items)
    return documents


def offline_status(
    args: argparse.Namespace, result: Verification, keys: RegistryKeys
) -> StatusEvidence | None:
    """What the saved status lists say about the certificate (None: none were given).

    Raises:
        CliError: a status file is unreadable, or is not a genuine list of this registry.
    """
    if not args.status:
        return None
    documents = read_status_files(args.status)
    if result.credential is None:
        return None
    try:
        return status_from_lists(result.credential, documents, keys)
    except StatusListUnusable as exc:
        raise CliError(str(exc)) from exc


def _check(args: argparse.Namespace, err: Any) -> tuple[Verification, RegistryKeys]:
    """Read the file and the keys, and verify.

    Raises:
        CliError: the file, the key export or the registry cannot be read or reached, or
            the PDF is damaged or truncated beyond reading.
        NotADocument: the file is neither a PDF nor a credential.
    """
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    now = dt.datetime.now(dt.UTC)
    if args.keys:
        keys, export = load_keys_file(args.keys)
        lookup, freshness = None, f"status unknown: offline (pinned keys from {args.keys})"
    else:
        keys, export = pinned_registry_keys(
            args.registry, args.accept_new_keys, lambda m: print(m, file=err)
        )
        lookup = online_lookup(keys.registry)
        freshness = f"live from the registry at {now:%Y-%m-%d %H:%M:%S} UTC"
    result = verify_document(
        data, keys, now=now, lookup=lookup, log_check=_log_check(export), freshness=freshness
    )
    if result.check("file_readable").ok is False:
        # A file error (exit 2), not a verdict on a certificate: nothing could be read.
        raise CliError(f"{args.file}: the PDF is damaged or truncated and cannot be read")
    return result, keys


def _outcome(args: argparse.Namespace, err: Any) -> tuple[Verification, RegistryKeys, int]:
    """Verify, then (offline) apply the saved status: the result, the keys and the exit code.

    Raises:
        CliError, NotADocument: as :func:`_check`, or an unusable status file.
    """
    result, keys = _check(args, err)
    if not args.keys:  # live status from the registry
        return result, keys, 0 if result.verdict == "valid" else 1
    evidence = offline_status(args, result, keys)
    result, code = offline_outcome(
        result,
        evidence,
        now=dt.datetime.now(dt.UTC),
        max_age=args.max_status_age,
        accept_unknown=args.accept_unknown_status,
    )
    return result, keys, code


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code not in (0, None) else 0
    err = sys.stderr
    with library_logs_collected() as library:
        try:
            result, keys, code = _outcome(args, err)
        except NotADocument as exc:
            print(f"certify-verify: {args.file}: {exc}", file=err)
            return 2
        except CliError as exc:
            print(f"certify-verify: {exc}", file=err)
            return 2
        except Exception as exc:  # a bug or a library failure: a summary, never a traceback
            reason = (str(exc).splitlines() or [""])[0][:160]
            print(
                f"certify-verify: cannot check {args.file}: {type(exc).__name__}: {reason}",
                file=err,
            )
            return 2
        finally:
            note = _summary(library.records)
            if note is not None:
                print(f"certify-verify: {note}", file=err)
    if args.json:
        print(
            json.dumps(
                {**result.to_dict(), "serial": result.serial, "freshness": result.freshness},
                indent=2,
            )
        )
    else:
        print(f"registry: {keys.registry}  (root {keys.root_fingerprint})")
        report(result, sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
