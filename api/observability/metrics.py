"""Prometheus metrics: request durations, code verifications, scans, and the queues.

Counters and histograms live in this process (prometheus_client's default registry) or, when
``PROMETHEUS_MULTIPROC_DIR`` is set before this module is imported (``codeid serve --workers
N`` does so), in files there that a scrape of any worker adds up. The queue gauges are not
kept anywhere: each scrape reads them from the database (one short connection,
api.observability.probe), so every worker answers the same.

Verifications are counted from the outcomes the domain notes in the session for every code
it resolves (codeid.codes.resolve, beside the Resolution row), when the transaction commits:
one count per resolution whichever way it came in (API, scan, scan gun, public check, CLI),
and none for a request that rolled back. Check-ins and walk-in identification resolve no
code there: their routes count with ``observe_verification``. The domain itself keeps no
metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from codeid.codes.errors import CodeRejected
from codeid.codes.resolve import OK, RESOLVED_OUTCOMES
from counter.queue_stats import queue_stats

log = logging.getLogger("codeid.observe")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SessionFactory = Callable[[], AbstractContextManager[Session]]
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_DURATION = Histogram(
    "codeid_http_request_duration_seconds",
    "Time from request to the end of the response, by route template and status class",
    ["method", "route", "status"],
)
VERIFICATIONS = Counter(
    "codeid_code_verifications",
    "Business codes verified: outcome is 'valid' or the refusal reason slug",
    ["outcome", "channel"],
)
SCAN_IMAGES = Counter(
    "codeid_scan_images",
    "Images scanned at a window: decoded (a valid code), refused (codes, none valid), no_code",
    ["result"],
)
SCAN_DECODE = Histogram(
    "codeid_scan_decode_seconds",
    "Time the decoding cascade spent on one image",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0),
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "OTHER"
    HTTP_DURATION.labels(method, route, f"{status // 100}xx").observe(seconds)


def observe_scan(ms: float, valid: Sequence[bool]) -> None:
    """One uploaded image: how long decoding took and what came of it."""
    SCAN_DECODE.observe(ms / 1000)
    result = "no_code" if not valid else "decoded" if any(valid) else "refused"
    SCAN_IMAGES.labels(result).inc()


def observe_verification(error: Exception | None, channel: str) -> None:
    """A code verified on a path that writes no Resolution row (check-in, walk-in
    identification): valid when ``error`` is None, else the refusal reason of a refused code
    (other refusals, a booking or an agent's scope, are not about the code: not counted)."""
    if error is None:
        VERIFICATIONS.labels("valid", channel).inc()
    elif isinstance(error, CodeRejected):
        VERIFICATIONS.labels(error.reason, channel).inc()


# ---- verifications, counted when their resolutions commit ----


def _count_resolutions(session: OrmSession) -> None:
    for outcome, channel in session.info.pop(RESOLVED_OUTCOMES, ()):
        VERIFICATIONS.labels("valid" if outcome == OK else outcome, channel).inc()


def _forget_resolutions(session: OrmSession) -> None:
    session.info.pop(RESOLVED_OUTCOMES, None)


def install_verification_counter() -> None:
    """Listen to every ORM session of this process (once, whatever the number of apps)."""
    for name, listener in (
        ("after_commit", _count_resolutions),
        ("after_rollback", _forget_resolutions),
    ):
        if not event.contains(OrmSession, name, listener):
            event.listen(OrmSession, name, listener)


# ---- the scrape ----


class QueueCollector:
    """Waiting tickets and waiting times per service category, read at scrape time."""

    def __init__(self, session_factory: SessionFactory, now: datetime) -> None:
        self.session_factory = session_factory
        self.now = now

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("codeid_database_up", "1 when the scrape could read the database")
        waiting = GaugeMetricFamily(
            "codeid_queue_waiting", "Tickets waiting now, per service category", labels=["category"]
        )
        wait = GaugeMetricFamily(
            "codeid_queue_wait_seconds",
            "How long waiting tickets have waited: the oldest, and the mean",
            labels=["category", "stat"],
        )
        try:
            with self.session_factory() as session:
                stats = queue_stats(session, now=self.now)
        except Exception as exc:  # the database is down: say so, still answer the rest
            log.warning("metrics: queue figures unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue in stats:
            waiting.add_metric([queue.category], queue.waiting)
            wait.add_metric([queue.category, "oldest"], queue.oldest_seconds)
            wait.add_metric([queue.category, "mean"], queue.mean_seconds)
        yield from (up, waiting, wait)


def scrape(
    session_factory: SessionFactory, *, now: datetime, multiproc_dir: str | None = None
) -> tuple[bytes, str]:
    """The exposition text and its content type. With a multiprocess directory (by default
    the environment's), counters and histograms are summed over every process that wrote
    there; otherwise this process's registry (with its process and GC figures) is used."""
    directory = multiproc_dir if multiproc_dir is not None else os.environ.get(MULTIPROC_ENV)
    registry = CollectorRegistry(auto_describe=False)
    if directory:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(REGISTRY)  # a registry is itself a collector of all it holds
    registry.register(QueueCollector(session_factory, now))
    return generate_latest(registry), CONTENT_TYPE_LATEST
