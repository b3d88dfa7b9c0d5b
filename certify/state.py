"""What certify keeps per application, in one typed object.

``create_app`` puts an :class:`AppState` in ``app.extensions["certify"]``; code reaches it with
:func:`app_state`. It holds the database, the clock and every in-process cache, each a
:class:`Cache` (one mechanism: cachetools' LRU behind a lock), so nothing else hangs state on
``app.extensions`` under string keys.

Caches hold only what cannot go stale or carries its own freshness key: immutable certificate
records, pages keyed by the live lifecycle columns they were rendered from, objects built from
a key set and keyed by its fingerprint. Live status is always read from the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from cachetools import LRUCache
from flask import Flask, current_app

if TYPE_CHECKING:
    from certify.clock import Clock
    from certify.db import Database

V = TypeVar("V")


class Cache(Generic[V]):
    """A bounded, thread-safe LRU map: the development server and threaded workers share it."""

    def __init__(self, maxsize: int) -> None:
        self._data: LRUCache[Hashable, V] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._data[key] = value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value under *key*, made by *make* (outside the lock) when missing."""
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


@dataclass
class Caches:
    """Every in-process cache of the app, by purpose."""

    #: the loaded key store, keyed by (folder, manifest modification time)
    keystore: Cache[Any] = field(default_factory=lambda: Cache(4))
    #: the PDF signer of the current document-signing certificate, keyed by its fingerprint
    pdf_signer: Cache[Any] = field(default_factory=lambda: Cache(4))
    #: argon2 hashers by cost parameters
    password_hasher: Cache[Any] = field(default_factory=lambda: Cache(4))
    #: this registry's parsed key export, keyed by the key set
    registry_keys: Cache[Any] = field(default_factory=lambda: Cache(4))
    #: JSON text of each certificate's immutable record (API), by certificate id
    api_records: Cache[str] = field(default_factory=lambda: Cache(20_000))
    #: JSON text of a certificate's history, keyed by the lifecycle values it was read with
    api_histories: Cache[str] = field(default_factory=lambda: Cache(20_000))
    #: proof checks of stored credentials (they never change), by serial and key set
    verify_static: Cache[Any] = field(default_factory=lambda: Cache(20_000))
    #: QR-target pages for anonymous visitors, keyed by the live columns they show
    verify_pages: Cache[str] = field(default_factory=lambda: Cache(10_000))
    #: status lists re-signed at the hour (bytes, hash), by list, version, hour and key
    status_lists: Cache[Any] = field(default_factory=lambda: Cache(64))
    #: the registry filters' choice lists, by list and newest registry entry
    registry_facets: Cache[Any] = field(default_factory=lambda: Cache(16))


@dataclass
class AppState:
    """certify's per-app state: the database, the clock, the caches, the stores."""

    db: Database
    clock: Clock
    caches: Caches = field(default_factory=Caches)
    #: built on first use from the storage settings (certify.storage.setup)
    evidence_store: Any = None
    #: signed documents (certificate PDFs), built on first use like the evidence store
    document_store: Any = None
    #: the boto3 client shared by both stores when STORAGE_BACKEND is s3 (thread-safe)
    s3_client: Any = None
    #: the key-encryption key when evidence is not encrypted (else the evidence store's)
    kek: Any = None
    #: the live status reader (a connection outside the ORM), set by the certificates feature
    live_reader: Any = None


def app_state(app: Flask | None = None) -> AppState:
    """The :class:`AppState` of *app* (default: the current app)."""
    return (app or current_app).extensions["certify"]
