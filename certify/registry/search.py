"""Searching the public registry: filters, word and prefix search, pages, live status.

Shared by the registry pages, the CSV export and the JSON API so all three answer the same
question the same way. Statuses are computed live from the lifecycle columns on every query
(``expired`` from the date), never cached.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, and_, func, insert, select, union
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from certify.certificates.models import Certificate, CertificateStatus
from certify.core.services import SERVICES, services_in
from certify.registry.models import RegistryEntry, RegistryTerm

STATUSES = tuple(s.value for s in CertificateStatus)
LEVELS = ("certified", "certified_with_distinction")
MAX_PER_PAGE = 200
#: How results can be ordered: name (the default, then serial), country, end of validity;
#: a leading "-" reverses.
SORTS = ("name", "-name", "country", "-country", "valid_until", "-valid_until")
DEFAULT_PER_PAGE = 25
MAX_TERM = 64
MAX_QUERY_WORDS = 8

_WORD_RE = re.compile(r"\w+")
_STANDARD_RE = re.compile(r"([a-z0-9][a-z0-9_.-]{0,99})(?:@([0-9A-Za-z][0-9A-Za-z_.-]{0,39}))?")
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"
_LOOKALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})

#: Searches read the narrow registry copy (see RegistryEntry), never the wide certificates.
cert = cast(Table, RegistryEntry.__table__)
term_table = cast(Table, RegistryTerm.__table__)


class FilterError(ValueError):
    """A filter value is not valid; the message says which and why, for a person."""


@dataclass(frozen=True)
class Filters:
    """What the registry is asked for. Empty values mean "any"."""

    q: str = ""
    country: str | None = None
    status: str | None = None
    level: str | None = None
    standard_id: str | None = None
    standard_version: str | None = None
    #: a key of :data:`certify.core.services.SERVICES`
    service: str | None = None
    #: one of :data:`SORTS` (the registry page's column headers)
    sort: str = "name"

    @property
    def standard(self) -> str | None:
        if self.standard_id is None:
            return None
        return self.standard_id + (f"@{self.standard_version}" if self.standard_version else "")

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (for links to other pages and the CSV)."""
        args = {
            "q": self.q,
            "country": self.country or "",
            "status": self.status or "",
            "level": self.level or "",
            "standard": self.standard or "",
            "service": self.service or "",
            "sort": "" if self.sort == "name" else self.sort,
        }
        return {k: v for k, v in args.items() if v}


def fold(text: str) -> str:
    """Lower case without accents: ``Café Ñandú`` becomes ``cafe nandu``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The search words of *text*: folded, split on anything not a letter or digit."""
    return [w[:MAX_TERM] for w in _WORD_RE.findall(fold(text).replace("_", " "))]


def serial_terms(serial: str, prefix: str | None = None) -> set[str]:
    """The serial written without separators, with and without its prefix, lower case."""
    compact = re.sub(r"[^0-9a-z]", "", serial.lower())
    terms = {compact}
    head = serial.split("-", 1)[0].lower()
    if compact.startswith(head):
        terms.add(compact[len(head) :])
    if prefix and compact.startswith(prefix.lower()):
        terms.add(compact[len(prefix) :])
    return {t[:MAX_TERM] for t in terms if t}


def terms_for(holder_name: str, serial: str, services: Iterable[str] = ()) -> set[tuple[str, str]]:
    """Every search term of one certificate as (kind, term): ``w`` words, ``s`` serials,
    ``v`` the kinds of service its scope names (see :mod:`certify.core.services`)."""
    return (
        {("w", w) for w in words(holder_name)}
        | {("s", t) for t in serial_terms(serial)}
        | {("v", key) for key in services}
    )


ENTRY_COLUMNS = (
    "serial",
    "holder_name",
    "holder_country",
    "standard_id",
    "standard_version",
    "level",
    "status",
    "issued_at",
    "valid_from",
    "valid_until",
    "suspended_until",
)


def entry_row(certificate: Certificate) -> dict[str, Any]:
    """The registry copy of *certificate* (see :class:`RegistryEntry`)."""
    row = {name: getattr(certificate, name) for name in ENTRY_COLUMNS}
    row["certificate_id"] = certificate.id
    return row


def term_rows(
    certificate_id: int, holder_name: str, serial: str, services: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The ``registry_term`` rows of one certificate."""
    return [
        {
            "kind": kind,
            "term": term,
            "certificate_id": certificate_id,
            "holder_name": holder_name,
            "serial": serial,
        }
        for kind, term in sorted(terms_for(holder_name, serial, services))
    ]


def index_certificate(session: Session, certificate: Certificate) -> None:
    """Add *certificate* to the registry: its narrow copy and its search terms (in the
    caller's transaction)."""
    session.execute(insert(cert), [entry_row(certificate)])
    services = services_in(certificate.snapshot_data.get("scope"))
    rows = term_rows(certificate.id, certificate.holder_name, certificate.serial, services)
    if rows:
        session.execute(insert(term_table), rows)


def index_new_certificate(ctx: Any) -> None:
    """Issuance step: the new certificate joins the registry in the same transaction."""
    index_certificate(ctx.session, ctx.certificate)


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with *prefix*, or None.

    Made of the same characters ([0-9a-z] carry over like digits), so a range scan is correct
    under any collation that orders digits and letters as usual, not only byte order.
    """
    chars = list(prefix)
    while chars:
        last = chars.pop()
        position = _ALNUM.find(last)
        if position == -1:
            return "".join(chars) + chr(ord(last) + 1)
        if position + 1 < len(_ALNUM):
            return "".join(chars) + _ALNUM[position + 1]
    return None


def _range(kind: str, prefix: str) -> Any:
    condition = and_(term_table.c.kind == kind, term_table.c.term >= prefix)
    upper = _successor(prefix)
    if upper is not None:
        condition = and_(condition, term_table.c.term < upper)
    return condition


def _prefix_ids(kind: str, prefix: str) -> Select[Any]:
    return select(term_table.c.certificate_id).where(_range(kind, prefix))


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Read and check the filters from query arguments.

    Raises:
        FilterError: a value that is not one of the allowed ones, with a message for a person.
    """
    q = (args.get("q") or "").strip()
    if len(q) > 200:
        raise FilterError("The search text is too long: use at most 200 characters.")
    country = (args.get("country") or "").strip()
    if country and not _COUNTRY_RE.fullmatch(country):
        raise FilterError("Country must be a two-letter country code such as KE.")
    status = (args.get("status") or "").strip().lower()
    if status and status not in STATUSES:
        raise FilterError("Status must be one of: " + ", ".join(STATUSES) + ".")
    level = (args.get("level") or "").strip().lower()
    if level and level not in LEVELS:
        raise FilterError("Level must be one of: " + ", ".join(LEVELS) + ".")
    service = (args.get("service") or "").strip().lower()
    if service and service not in SERVICES:
        raise FilterError("Service must be one of: " + ", ".join(SERVICES) + ".")
    sort = (args.get("sort") or "name").strip()
    if sort not in SORTS:
        raise FilterError("Sort must be one of: " + ", ".join(SORTS) + ".")
    standard = (args.get("standard") or "").strip()
    standard_id = standard_version = None
    if standard:
        head, at, version = standard.partition("@")
        match = _STANDARD_RE.fullmatch(head.lower() + at + version)
        if match is None:
            raise FilterError("Standard must be a standard id such as isrps, or isrps@1.0.")
        standard_id, standard_version = match.group(1), match.group(2)
    return Filters(
        q=q,
        country=country.upper() or None,
        status=status or None,
        level=level or None,
        standard_id=standard_id,
        standard_version=standard_version,
        service=service or None,
        sort=sort,
    )


def parse_page(value: str | None, name: str = "page", maximum: int | None = None) -> int | None:
    """A positive page number or page size from a query argument (None when absent).

    Raises:
        FilterError: not a whole number from 1 (to *maximum*).
    """
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise FilterError(f"{name} must be a whole number of at least 1.")
    number = int(value)
    if maximum is not None and number > maximum:
        raise FilterError(f"{name} must be at most {maximum}.")
    return number


def start_of_day(now: dt.datetime) -> dt.datetime:
    day = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def live_status(stored: str, valid_until: dt.datetime, now: dt.datetime) -> CertificateStatus:
    """The status at *now* from the stored status and the end of validity (as
    :meth:`Certificate.status_at`): expired after the end of valid_until's UTC day."""
    status = CertificateStatus(stored)
    if status is not CertificateStatus.ACTIVE:
        return status
    return CertificateStatus.EXPIRED if valid_until < start_of_day(now) else status


def _filter_conditions(filters: Filters, now: dt.datetime) -> list[Any]:
    """Conditions on the registry copy for every filter but the text."""
    conditions: list[Any] = []
    if filters.country:
        conditions.append(cert.c.holder_country == filters.country)
    if filters.level:
        conditions.append(cert.c.level == filters.level)
    if filters.standard_id:
        conditions.append(cert.c.standard_id == filters.standard_id)
        if filters.standard_version:
            conditions.append(cert.c.standard_version == filters.standard_version)
    if filters.service:
        conditions.append(
            cert.c.certificate_id.in_(
                select(term_table.c.certificate_id).where(
                    term_table.c.kind == "v", term_table.c.term == filters.service
                )
            )
        )
    if filters.status:
        today = start_of_day(now)
        if filters.status == "active":
            conditions += [cert.c.status == "active", cert.c.valid_until >= today]
        elif filters.status == "expired":
            conditions += [cert.c.status == "active", cert.c.valid_until < today]
        else:
            conditions.append(cert.c.status == filters.status)
    return conditions


def _text_matches(
    q: str, ids_only: bool = False, session: Session | None = None
) -> Select[Any] | None:
    """The certificates matching the text *q* as (certificate_id, holder_name, serial), read
    from the terms alone: every word of *q* starts a word of the holder's name, or *q*
    starts the serial. None when *q* holds nothing searchable.

    With a *session*, each serial reading of *q* is first probed (one index lookup) and left
    out when no serial starts so: a plain word then stays one index range, not a union.
    """
    t = term_table
    columns = (
        (t.c.certificate_id,) if ids_only else (t.c.certificate_id, t.c.holder_name, t.c.serial)
    )
    parts: list[Select[Any]] = []
    query_words = words(q)[:MAX_QUERY_WORDS]
    if query_words:
        # The longest word is likely the most selective: it drives, the others filter.
        first, *rest = sorted(query_words, key=len, reverse=True)
        statement = select(*columns).where(_range("w", first))
        for word in rest:
            # "+ 0": probe the other words' matches while scanning the first word's range;
            # without it SQLite may look up every certificate of the other words instead.
            statement = statement.where((t.c.certificate_id + 0).in_(_prefix_ids("w", word)))
        parts.append(statement)
    compact = re.sub(r"[^0-9a-z]", "", fold(q))
    if len(compact) >= 4:
        # A serial typed from paper: I and L read as 1, O as 0, but not in a letter prefix
        # (``ISR``) the person may have typed in front.
        head = re.match(r"[a-z]{0,8}", compact).group(0)  # type: ignore[union-attr]
        candidates = {
            compact.translate(_LOOKALIKES),
            head + compact[len(head) :].translate(_LOOKALIKES),
        }
        for candidate in sorted(candidates):
            condition = _range("s", candidate[:MAX_TERM])
            if (
                session is not None
                and session.execute(select(t.c.certificate_id).where(condition).limit(1)).first()
                is None
            ):
                continue
            parts.append(select(*columns).where(condition))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0].distinct()
    return union(*parts)  # type: ignore[return-value]


def _conditions(filters: Filters, now: dt.datetime) -> list[Any]:
    conditions = _filter_conditions(filters, now)
    if filters.q:
        matches = _text_matches(filters.q, ids_only=True)
        if matches is None:
            conditions.append(cert.c.certificate_id.is_(None))  # nothing searchable: no match
        else:
            conditions.append(
                cert.c.certificate_id.in_(select(matches.subquery().c.certificate_id))
            )
    return conditions


COLUMNS = (
    cert.c.serial,
    cert.c.holder_name,
    cert.c.holder_country,
    cert.c.standard_id,
    cert.c.standard_version,
    cert.c.level,
    cert.c.status,
    cert.c.issued_at,
    cert.c.valid_from,
    cert.c.valid_until,
    cert.c.suspended_until,
)


@dataclass(frozen=True)
class Result:
    """One page of results: ``rows`` (dicts, see :func:`row_dict`), the ``total`` matching,
    the ``page`` and ``per_page`` asked for, and ``as_of``, the time the statuses hold for."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    as_of: dt.datetime

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def row_dict(row: Row[Any], now: dt.datetime) -> dict[str, Any]:
    """A result row as a dict with its live ``status`` (a :class:`CertificateStatus`)."""
    data = dict(row._mapping)
    data["status"] = live_status(row.status, row.valid_until, now)
    return data


_SORT_COLUMNS = {
    "name": (cert.c.holder_name, cert.c.serial),
    "country": (cert.c.holder_country, cert.c.holder_name, cert.c.serial),
    "valid_until": (cert.c.valid_until, cert.c.holder_name, cert.c.serial),
}


def _ordered(statement: Select[Any], sort: str = "name") -> Select[Any]:
    columns = _SORT_COLUMNS[sort.lstrip("-")]
    if sort.startswith("-"):
        return statement.order_by(*(c.desc() for c in columns))
    return statement.order_by(*columns)


def search(
    session: Session,
    filters: Filters,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    now: dt.datetime,
) -> Result:
    """One page of certificates matching *filters*, sorted by holder name then serial.

    Former certificates (withdrawn, superseded, expired) are listed like any other unless a
    status filter leaves them out.
    """
    offset = (page - 1) * per_page
    matches = _text_matches(filters.q, session=session) if filters.q else None
    if matches is not None and filters.sort == "name" and not _filter_conditions(filters, now):
        # Text only (the common case): count and sort the matches from the terms' covering
        # index, then read the registry rows of one page.
        found = matches.subquery()
        ids_only = _text_matches(filters.q, ids_only=True, session=session)
        assert ids_only is not None
        total = session.execute(select(func.count()).select_from(ids_only.subquery())).scalar_one()
        ids = list(
            session.execute(
                select(found.c.certificate_id)
                .order_by(found.c.holder_name, found.c.serial)
                .limit(per_page)
                .offset(offset)
            ).scalars()
        )
        by_id = {
            row.certificate_id: row
            for row in session.execute(
                select(cert.c.certificate_id, *COLUMNS).where(cert.c.certificate_id.in_(ids))
            )
        }
        rows: Sequence[Any] = [by_id[i] for i in ids if i in by_id]
    else:
        conditions = _conditions(filters, now)
        total = session.execute(
            select(func.count()).select_from(cert).where(*conditions)
        ).scalar_one()
        rows = session.execute(
            _ordered(select(*COLUMNS).where(*conditions), filters.sort)
            .limit(per_page)
            .offset(offset)
        ).all()
    return Result([row_dict(r, now) for r in rows], total, page, per_page, now)


def search_all(
    session: Session, filters: Filters, *, now: dt.datetime, limit: int
) -> Iterable[dict[str, Any]]:
    """Every certificate matching *filters* (at most *limit*), for the CSV export."""
    statement = _ordered(select(*COLUMNS).where(*_conditions(filters, now)), filters.sort)
    statement = statement.limit(limit)
    for row in session.execute(statement):
        yield row_dict(row, now)


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: a value starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return would be read as a formula, so it gets a leading
    apostrophe (OWASP's advice for CSV injection)."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_row(values: Sequence[Any]) -> list[str]:
    return [csv_cell(v) for v in values]
