"""
A loopback enterprise-catalog service for tests: real HTTP on 127.0.0.1, the real endpoint shapes.

It answers the OAuth2 token endpoint and the four enterprise-catalog endpoints the app calls, records
every request, and can be told to fail (status codes, garbage, hangs, answers dripped a byte at a time,
oversized answers, refused connections) or to answer with documents and links of any shape, so tests
can see how the app behaves when the catalog misbehaves.

Usage (the ``catalog_server`` fixture in ``tests/conftest.py`` does the wiring)::

    server.add_course("edX+DemoX", runs=["course-v1:edX+DemoX+1T2024", "course-v1:edX+DemoX+Demo_Course"])
    catalog_uuid = server.add_catalog(customer.uuid, ["edX+DemoX"])
    server.fail_with(503, times=1)
"""
from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

CLIENT_ID = "catalog-tests-client-id"
CLIENT_SECRET = "catalog-tests-client-secret"
ACCESS_TOKEN = "catalog-tests-jwt"
DEFAULT_PAGE_SIZE = 10

_RUN_KEY_RE = re.compile(r"^course-v1:(?P<org>[^+]+)\+(?P<course>[^+]+)\+(?P<run>.+)$", re.IGNORECASE)


class _LastRun:
    """Sentinel: the advertised run is the last run given (the usual 'current' run)."""

    def __repr__(self) -> str:
        return "LAST_RUN"


LAST_RUN = _LastRun()


def parent_course_key(content_key: str) -> str | None:
    """``org+course`` for a ``course-v1:org+course+run`` key, else None."""
    match = _RUN_KEY_RE.match(content_key or "")
    return f"{match['org']}+{match['course']}" if match else None


def course_run(
    key: str,
    *,
    uuid_: str | None = None,
    status: str = "published",
    is_enrollable: bool = True,
    availability: str = "Current",
    seats: Sequence[str] = ("audit", "verified"),
    start: str | None = "2024-01-01T00:00:00Z",
    end: str | None = "2030-12-31T00:00:00Z",
    enrollment_start: str | None = None,
    enrollment_end: str | None = None,
    **extra: Any,
) -> dict:
    """One entry of a course document's ``course_runs``."""
    return {
        "key": key,
        "uuid": uuid_ or str(uuid.uuid4()),
        "status": status,
        "is_enrollable": is_enrollable,
        "availability": availability,
        "start": start,
        "end": end,
        "enrollment_start": enrollment_start,
        "enrollment_end": enrollment_end,
        "seats": [{"type": seat, "price": "0.00" if seat in ("audit", "honor") else "49.00"} for seat in seats],
        **extra,
    }


def course_document(
    key: str,
    runs: Iterable[str | Mapping] | None = None,
    advertised: str | _LastRun | None = LAST_RUN,
    *,
    normalized_metadata_by_run: Mapping[str, Mapping] | None = None,
    **extra: Any,
) -> dict:
    """
    A course document as enterprise-catalog returns it (``content_type: course``).

    ``runs`` are run keys (published, enrollable, audit+verified) or dicts from ``course_run()``;
    default: one run ``course-v1:<org>+<course>+1T2030``. ``advertised`` names the advertised run by
    key; ``None`` means the course has no advertised run.
    """
    if runs is None:
        org, _, number = key.partition("+")
        runs = [f"course-v1:{org}+{number}+1T2030"]
    course_runs = [course_run(run) if isinstance(run, str) else dict(run) for run in runs]
    if advertised is LAST_RUN:
        advertised_run = course_runs[-1] if course_runs else None
    elif advertised is None:
        advertised_run = None
    else:
        matching = [run for run in course_runs if run["key"].lower() == str(advertised).lower()]
        if not matching:
            raise ValueError(f"advertised run {advertised!r} is not among the runs of {key!r}")
        advertised_run = matching[0]
    if normalized_metadata_by_run is None:
        normalized_metadata_by_run = {
            run["key"]: {
                "start_date": run.get("start"),
                "end_date": run.get("end"),
                "enroll_by_date": run.get("enrollment_end"),
                "enroll_start_date": run.get("enrollment_start"),
                "content_price": 49.0 if any(s["type"] == "verified" for s in run.get("seats", [])) else 0.0,
            }
            for run in course_runs
        }
    document = {
        "key": key,
        "content_type": "course",
        "uuid": str(uuid.uuid4()),
        "title": f"Course {key}",
        "advertised_course_run_uuid": advertised_run["uuid"] if advertised_run else None,
        "course_runs": course_runs,
        "normalized_metadata_by_run": dict(normalized_metadata_by_run),
    }
    if advertised_run and advertised_run["key"] in document["normalized_metadata_by_run"]:
        document["normalized_metadata"] = document["normalized_metadata_by_run"][advertised_run["key"]]
    document.update(extra)
    return document


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    body: Any = None
    raw_query: str = ""  # as sent, still URL-encoded
    client_port: int = 0  # the client's end of the connection: requests with one port came over one connection

    @property
    def is_token_request(self) -> bool:
        return self.path.rstrip("/").endswith("/oauth2/access_token")


@dataclass
class _Failure:
    kind: str  # "status" | "garbage" | "hang" | "drip" | "large"
    status: int = 500
    garbage: str = "text"
    seconds: float = 0.0
    times: int | None = None  # None: until recover()
    token: bool = False  # also applies to the token endpoint
    drip_headers: bool = False  # "drip": the status line and headers too, not only the body
    size: int = 0  # "large": bytes of the answer
    declare_length: bool = True  # "large": send Content-Length (else the body ends when the connection does)


@dataclass
class CatalogServer:
    """State and failure switches of one loopback catalog; ``start()`` binds it to 127.0.0.1."""

    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    courses: list[dict] = field(default_factory=list)
    # customer uuid (str) -> {catalog uuid (str) -> set of content keys (course or run keys)}
    catalogs: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    max_page_size: int = 100  # the service caps ``page_size`` like enterprise-catalog does
    # Answers of any shape: appended to every content-metadata page's results, as they are.
    extra_results: list[Any] = field(default_factory=list)
    # When set, content-metadata pages link their ``next`` page on this root URL (another host) instead.
    next_root: str | None = None
    # Fields that replace those of every content-metadata page (``count``, ``next``, …), whatever their shape.
    page_fields: dict[str, Any] = field(default_factory=dict)
    # Fields that replace those of every contains_content_items answer, whatever their shape.
    contains_fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failure: _Failure | None = None
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None
        self.large_bytes_sent = 0  # how much of the last ``answer_large`` answer went out before the client left

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> CatalogServer:
        """Listen on 127.0.0.1 (a free port the first time, the same port after ``go_down()``)."""
        self._stopping.clear()
        handler = type("Handler", (self._handler_base(),), {"catalog": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port or 0), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def _handler_base(self) -> type:
        """The request handler this server answers with (a server of another service answers with its own)."""
        return _Handler

    def stop(self) -> None:
        """Stop listening; wakes any hanging handler so no request outlives the test."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def go_down(self) -> None:
        """Refuse connections on the same URL until ``come_back()``."""
        self.stop()

    def come_back(self) -> None:
        self.start()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.root_url}/api/v1/"

    @property
    def oauth2_url(self) -> str:
        return f"{self.root_url}/oauth2"

    def app_settings(self) -> dict[str, Any]:
        """The ``DEFAULT_ENROLLMENTS`` keys that point the app at this server."""
        return {
            "CATALOG_API_URL": self.api_url,
            "OAUTH2_PROVIDER_URL": self.oauth2_url,
            "OAUTH2_CLIENT_ID": self.client_id,
            "OAUTH2_CLIENT_SECRET": self.client_secret,
        }

    @staticmethod
    def closed_url() -> str:
        """A root URL on 127.0.0.1 where nothing listens (connection refused)."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    # --- content -------------------------------------------------------------------------------

    def add_course(
        self, key: str, runs: Iterable[str | Mapping] | None = None, advertised: str | _LastRun | None = LAST_RUN,
        **extra: Any,
    ) -> dict:
        """Add (or replace) a course document; returns it."""
        document = course_document(key, runs, advertised, **extra)
        return self.add_document(document)

    def add_document(self, document: dict) -> dict:
        """Add (or replace, by key) a course document; any of its fields may have any shape."""
        with self._lock:
            self.courses = [doc for doc in self.courses if _key_of(doc) != _key_of(document) or not _key_of(doc)]
            self.courses.append(document)
        return document

    def add_catalog(self, customer_uuid: Any, keys: Iterable[str], catalog_uuid: Any = None) -> str:
        """Give the customer a catalog holding ``keys`` (course keys hold all their runs); returns its uuid."""
        catalog_uuid = str(catalog_uuid or uuid.uuid4())
        with self._lock:
            self.catalogs.setdefault(str(customer_uuid), {})[catalog_uuid] = set(keys)
        return catalog_uuid

    # --- failure switches ----------------------------------------------------------------------

    def fail_with(self, status: int, *, times: int | None = None, token: bool = False) -> None:
        """Answer catalog requests (and token requests if ``token``) with ``status``."""
        self._failure = _Failure("status", status=status, times=times, token=token)

    def answer_garbage(self, kind: str = "text", *, times: int | None = None, token: bool = False) -> None:
        """200 with non-JSON (``kind="text"``) or JSON of the wrong shape (``kind="shape"``)."""
        if kind not in ("text", "shape"):
            raise ValueError("kind is 'text' or 'shape'")
        self._failure = _Failure("garbage", garbage=kind, times=times, token=token)

    def hang(self, seconds: float, *, times: int | None = None, token: bool = False) -> None:
        """Sleep before answering (woken early by ``stop()``)."""
        self._failure = _Failure("hang", seconds=seconds, times=times, token=token)

    def drip(self, interval: float, *, times: int | None = None, token: bool = False, headers: bool = False) -> None:
        """Answer normally, but one byte every ``interval`` seconds: the body, and with ``headers`` the head too."""
        self._failure = _Failure("drip", seconds=interval, times=times, token=token, drip_headers=headers)

    def answer_large(
        self, size: int, *, declare_length: bool = True, times: int | None = None, token: bool = False
    ) -> None:
        """Answer 200 with ``size`` bytes of JSON (a string), with or without a Content-Length."""
        self._failure = _Failure("large", size=size, declare_length=declare_length, times=times, token=token)

    def recover(self) -> None:
        self._failure = None

    def _take_failure(self, is_token: bool) -> _Failure | None:
        with self._lock:
            failure = self._failure
            if failure is None or (is_token and not failure.token):
                return None
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._failure = None
            return failure

    # --- counters ------------------------------------------------------------------------------

    @property
    def catalog_requests(self) -> int:
        return sum(1 for request in list(self.requests) if not request.is_token_request)

    @property
    def token_requests(self) -> int:
        return sum(1 for request in list(self.requests) if request.is_token_request)

    @property
    def catalog_connections(self) -> int:
        """Connections the catalog requests (token requests aside) came over."""
        return len({request.client_port for request in list(self.requests) if not request.is_token_request})

    def requests_to(self, fragment: str) -> list[RecordedRequest]:
        return [request for request in list(self.requests) if fragment in request.path]

    def reset_counts(self) -> None:
        with self._lock:
            self.requests = []

    # --- the catalog's answers (pure over the state) -------------------------------------------

    def find_document(self, content_key: str) -> dict | None:
        """The course document for a course key, or the parent course of a run key (case-insensitive)."""
        wanted = (content_key or "").lower()
        for document in self.courses:
            if _key_of(document) == wanted:
                return document
            runs = document.get("course_runs")
            if any(_key_of(run) == wanted for run in (runs if isinstance(runs, list) else [])):
                return document
        return None

    def _course_key_of(self, content_key: str) -> str:
        document = self.find_document(content_key)
        if document is not None and isinstance(document.get("key"), str):
            return document["key"]
        return parent_course_key(content_key) or content_key

    def _in_catalog(self, content_key: str, members: set[str]) -> bool:
        lowered = {member.lower() for member in members}
        return content_key.lower() in lowered or self._course_key_of(content_key).lower() in lowered

    def customer_catalogs(self, customer_uuid: str) -> dict[str, set[str]]:
        return self.catalogs.get(str(customer_uuid), {})


def _key_of(item: Any) -> str:
    """The lower-cased ``key`` of a document or run, or "" when it has none (documents may have any shape)."""
    key = item.get("key") if isinstance(item, Mapping) else None
    return key.lower() if isinstance(key, str) else ""


class _Handler(BaseHTTPRequestHandler):
    catalog: CatalogServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends: with Nagle's algorithm on, the body of every response on a
    # kept-alive connection would wait for the client's delayed ACK (about 40 ms on Linux).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass

    # --- plumbing ------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        body: Any = raw_body.decode("utf-8", "replace")
        if "json" in (self.headers.get("Content-Type") or ""):
            try:
                body = json.loads(raw_body or b"null")
            except ValueError:
                body = None
        elif method == "POST":
            body = {key: values[-1] for key, values in parse_qs(body).items()}
        recorded = RecordedRequest(method, path, query, body, parts.query, self.client_address[1])
        with self.catalog._lock:
            self.catalog.requests.append(recorded)

        failure = self.catalog._take_failure(recorded.is_token_request)
        self._drip = failure if failure is not None and failure.kind == "drip" else None
        if failure is not None:
            if failure.kind == "large":
                return self._send_large(failure)
            if failure.kind == "hang":
                self.catalog._stopping.wait(failure.seconds)
            elif failure.kind == "drip":
                pass  # answered normally, slowly (``_send_raw``)
            elif failure.kind == "status":
                return self._send(failure.status, {"detail": f"Injected failure {failure.status}."})
            elif failure.garbage == "text":
                return self._send_raw(200, b"<html><body>Service temporarily confused</body></html>", "text/html")
            else:
                return self._send(200, {"unexpected": ["shape"], "results": "not a list"})

        if recorded.is_token_request:
            return self._token(method, body)
        if self.headers.get("Authorization") != f"JWT {ACCESS_TOKEN}":
            return self._send(401, {"detail": "Authentication credentials were not provided."})
        return self._route(method, path, query, body)

    def _send(self, status: int, payload: Any) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json")

    def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
        if getattr(self, "_drip", None) is not None:
            return self._send_dripping(status, data, content_type)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _send_dripping(self, status: int, data: bytes, content_type: str) -> None:
        """The whole answer, a byte every ``interval`` (the head at once unless ``drip_headers``)."""
        head = (
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        slow = head + data if self._drip.drip_headers else data
        try:
            if not self._drip.drip_headers:
                self.wfile.write(head)
                self.wfile.flush()
            for index in range(len(slow)):
                if self.catalog._stopping.wait(self._drip.seconds):
                    return
                self.wfile.write(slow[index:index + 1])
                self.wfile.flush()
        except OSError:
            pass  # the client gave up: what the tests want to see
        finally:
            self.close_connection = True

    def _send_large(self, failure: _Failure) -> None:
        """200 with ``failure.size`` bytes of a JSON string, sent in pieces as fast as the client reads."""
        piece = b"x" * 65536
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if failure.declare_length:
                self.send_header("Content-Length", str(failure.size))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'"')
            sent += 1
            while sent < failure.size - 1 and not self.catalog._stopping.is_set():
                chunk = piece[: min(len(piece), failure.size - 1 - sent)]
                self.wfile.write(chunk)
                sent += len(chunk)
            self.wfile.write(b'"')
        except OSError:
            pass  # the client stopped reading: what the tests want to see
        finally:
            self.close_connection = True
        self.catalog.large_bytes_sent = sent

    # --- endpoints -----------------------------------------------------------------------------

    def _token(self, method: str, form: Any) -> None:
        if method != "POST" or not isinstance(form, dict):
            return self._send(405, {"error": "method_not_allowed"})
        if form.get("grant_type") != "client_credentials" or (
            form.get("client_id"),
            form.get("client_secret"),
        ) != (self.catalog.client_id, self.catalog.client_secret):
            return self._send(401, {"error": "invalid_client"})
        return self._send(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "JWT", "scope": ""})

    def _route(self, method: str, path: str, query: Mapping[str, list[str]], body: Any) -> None:
        catalog = self.catalog
        if not path.startswith("/api/v1/"):
            return self._send(404, {"detail": "Not found."})
        rest = path[len("/api/v1/"):]
        if method == "GET" and rest == "content-metadata/":
            return self._content_metadata_batch(query)
        if method == "GET" and rest.startswith("content-metadata/"):
            key = rest[len("content-metadata/"):].rstrip("/")
            document = catalog.find_document(key)
            if document is None:
                return self._send(404, {"detail": "Not found."})
            return self._send(200, document)
        match = re.fullmatch(r"enterprise-customer/([^/]+)/(contains_content_items|filter_content_items)/?", rest)
        if match and method == "GET" and match[2] == "contains_content_items":
            return self._contains_content_items(match[1], query)
        if match and method == "POST" and match[2] == "filter_content_items":
            return self._filter_content_items(match[1], body)
        return self._send(404, {"detail": "Not found."})

    def _content_metadata_batch(self, query: Mapping[str, list[str]]) -> None:
        identifiers = [key for value in query.get("content_identifiers", []) for key in value.split(",") if key]
        page_size = min(int((query.get("page_size") or [DEFAULT_PAGE_SIZE])[0]), self.catalog.max_page_size)
        page = int((query.get("page") or ["1"])[0])
        documents: list[dict] = []
        for key in identifiers:
            document = self.catalog.find_document(key)
            if document is not None and all(document is not other for other in documents):
                documents.append(document)
        start = (page - 1) * page_size
        results = documents[start:start + page_size] + list(self.catalog.extra_results)

        def page_url(number: int) -> str:
            params = {key: values for key, values in query.items() if key != "page"}
            params["page"] = [str(number)]
            root = f"{self.catalog.next_root}/api/v1/" if self.catalog.next_root else self.catalog.api_url
            return f"{root}content-metadata/?{urlencode(params, doseq=True)}"

        self._send(
            200,
            {
                "count": len(documents),
                "next": page_url(page + 1) if start + page_size < len(documents) else None,
                "previous": page_url(page - 1) if page > 1 else None,
                "results": results,
                **self.catalog.page_fields,
            },
        )

    def _contains_content_items(self, customer_uuid: str, query: Mapping[str, list[str]]) -> None:
        keys = [key for name in ("course_run_ids", "program_uuids") for value in query.get(name, [])
                for key in value.split(",") if key]
        if not keys:
            return self._send(400, {"detail": "course_run_ids or program_uuids is required."})
        holding = sorted(
            catalog_uuid
            for catalog_uuid, members in self.catalog.customer_catalogs(customer_uuid).items()
            if any(self.catalog._in_catalog(key, members) for key in keys)
        )
        payload: dict[str, Any] = {"contains_content_items": bool(holding)}
        if (query.get("get_catalogs_containing_specified_content_ids") or ["false"])[0].lower() == "true":
            payload["catalog_list"] = holding
        self._send(200, {**payload, **self.catalog.contains_fields})

    def _filter_content_items(self, customer_uuid: str, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("content_keys"), list):
            return self._send(400, {"content_keys": ["This field is required."]})
        catalogs = self.catalog.customer_catalogs(customer_uuid)
        named = body.get("catalog_uuids")
        if named:
            catalogs = {uuid_: members for uuid_, members in catalogs.items() if uuid_ in {str(n) for n in named}}
        filtered = [
            key for key in body["content_keys"]
            if any(self.catalog._in_catalog(key, members) for members in catalogs.values())
        ]
        self._send(200, {"filtered_content_keys": filtered})
