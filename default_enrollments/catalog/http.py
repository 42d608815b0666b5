"""
Bounded HTTP exchanges: one wall-clock deadline over connect, headers and body, and a cap on the body.

``requests`` bounds each socket operation, not the exchange: a server (or a proxy) that sends a byte
every few hundred milliseconds never trips a read timeout and can hold a caller for as long as it likes.
Here a watchdog shuts the exchange's socket down when its deadline passes, which wakes any read blocked
on it, and the body is streamed in pieces and refused past ``CATALOG_MAX_RESPONSE_BYTES``. One thread of the
process keeps every exchange's deadline (``_Keeper``).

Only a failure before any of the answer arrived (refused or reset connection) is worth retrying; a
timeout, a cut body or an oversized answer is final.
"""
from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from default_enrollments.exceptions import CatalogResponseError, CatalogUnavailable

CHUNK_BYTES = 64 * 1024

_current = threading.local()


class RetryableFailure(CatalogUnavailable):
    """Nothing of an answer arrived (the connection was refused or dropped): an idempotent request may try again."""


@dataclass(frozen=True)
class Answer:
    """A whole answer, read within its deadline and its size cap."""

    status: int
    body: bytes
    content_type: str


class _Watchdog:
    """Shuts down the sockets of one exchange when its deadline passes, waking whatever reads from them."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.finished = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _Watchdog:
        self._outer = getattr(_current, "watchdog", None)
        _current.watchdog = self
        _keeper.keep(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        with self._lock:
            self.finished = True
            self._sockets.clear()
        _current.watchdog = self._outer

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


class _Keeper:
    """
    The one thread that expires every exchange's watchdog of the process, at its deadline.

    A timer thread per exchange cost a thread start (and a wait for the new thread to be scheduled) on every
    request; this thread is started once, sleeps until the earliest deadline and is woken when an earlier one
    arrives. Finished exchanges leave their entry behind, dropped when it reaches the front.
    """

    def __init__(self) -> None:
        self._reset()
        if hasattr(os, "register_at_fork"):  # a forked worker has no thread: it starts its own
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._pending: list[tuple[float, int, _Watchdog]] = []
        self._sequence = itertools.count()
        self._thread: threading.Thread | None = None

    def keep(self, watchdog: _Watchdog) -> None:
        with self._condition:
            heapq.heappush(self._pending, (watchdog.deadline, next(self._sequence), watchdog))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="catalog-exchange-watchdog", daemon=True)
                self._thread.start()
            elif self._pending[0][2] is watchdog:
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._pending and self._pending[0][2].finished:
                    heapq.heappop(self._pending)
                if not self._pending:
                    self._condition.wait()
                    continue
                delay = self._pending[0][0] - time.monotonic()
                if delay > 0:
                    self._condition.wait(delay)
                    continue
                due = heapq.heappop(self._pending)[2]
            due.expire()


_keeper = _Keeper()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for TLS sockets: it must not touch the TLS state another thread reads.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedConnectionMixin:
    """Hands the socket to the running exchange's watchdog before the answer's headers are read."""

    def getresponse(self, *args: Any, **kwargs: Any):
        watchdog = getattr(_current, "watchdog", None)
        if watchdog is not None:
            watchdog.watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """The ``requests`` adapter whose connections a running exchange's watchdog can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if manager.pool_classes_by_scheme.get("http") is HTTPConnectionPool:  # not SOCKS, which has its own
            manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


def mount_watched_adapter(session: requests.Session) -> None:
    """Route every request of ``session`` through connections a watchdog can cut."""
    adapter = WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    what: str,
    **kwargs: Any,
) -> Answer:
    """
    One request and its whole answer, within ``deadline`` (a ``time.monotonic()`` value) and ``max_bytes``.

    Raises ``RetryableFailure`` when nothing of an answer arrived, ``CatalogUnavailable`` when the deadline
    passed (connecting, waiting for headers or reading the body) and ``CatalogResponseError`` for an answer
    larger than ``max_bytes``. ``what`` names the exchange in messages (no URL: it may carry content keys).
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise CatalogUnavailable(f"{what}: the time budget for catalog requests is used up.")
    with _Watchdog(deadline) as watchdog:
        try:
            response = session.request(method, url, timeout=(remaining, remaining), stream=True, **kwargs)
        except requests.RequestException as exc:
            if watchdog.expired or isinstance(exc, requests.Timeout):
                raise CatalogUnavailable(f"{what} timed out.") from exc
            if isinstance(exc, requests.ConnectionError):
                raise RetryableFailure(f"{what} could not connect: {type(exc).__name__}") from exc
            raise CatalogUnavailable(f"{what} failed: {type(exc).__name__}") from exc
        try:
            body = _read_body(response, max_bytes, what)
        except requests.RequestException as exc:
            if watchdog.expired:
                raise CatalogUnavailable(f"{what} timed out while its answer was read.") from exc
            raise CatalogUnavailable(f"{what}: the answer was cut off ({type(exc).__name__}).") from exc
        finally:
            response.close()
        if watchdog.expired:  # an answer without a length ends when its connection does: it may be cut short
            raise CatalogUnavailable(f"{what} timed out while its answer was read.")
    return Answer(response.status_code, body, response.headers.get("Content-Type", ""))


def _read_body(response: requests.Response, max_bytes: int, what: str) -> bytes:
    """The body, refused as soon as it (or its declared length) exceeds ``max_bytes``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise CatalogResponseError(f"{what}: the answer declares {declared} bytes, more than the {max_bytes} allowed.")
    body = bytearray()
    for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise CatalogResponseError(f"{what}: the answer is larger than the {max_bytes} bytes allowed.")
    return bytes(body)


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL without user info; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def same_origin(url: str, root: str) -> bool:
    """Whether ``url`` is on ``root``'s scheme, host and port, and names no credentials of its own: the only
    place a service's ``next`` link may send the service token."""
    return origin(url) is not None and origin(url) == origin(root)
