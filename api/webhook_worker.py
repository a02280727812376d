"""The webhook worker: fan licence events out into deliveries, send what is due, repeat.

All its state is in the database (the outbox cursor, the deliveries and their leases), so any
number of workers may run, in the API processes (a background thread, CODEID_WEBHOOK_WORKER)
and as ``codeid webhooks run``. An idle pass only reads: it writes when there is work.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import httpx

from api.runtime import Runtime
from codeid.clock import utcnow
from credentials.partners.webhook_delivery import deliver_next, has_due
from credentials.partners.webhook_fanout import fan_out, pending_events
from credentials.partners.webhook_send import http_client

log = logging.getLogger("codeid.webhooks")


@dataclass
class PassReport:
    queued: int = 0  # deliveries made from licence events
    attempted: int = 0
    delivered: int = 0
    failed: int = 0  # given up in this pass


class WebhookWorker:
    def __init__(self, runtime: Runtime, *, interval: float | None = None, batch: int = 50):
        self.runtime = runtime
        self.interval = runtime.settings.webhook_poll_seconds if interval is None else interval
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, client: httpx.Client) -> PassReport:
        """One fan-out batch, then up to ``batch`` due deliveries."""
        report = PassReport()
        runtime = self.runtime
        with runtime.session() as session:
            busy = pending_events(session)
        if busy:
            with runtime.session() as session:
                report.queued = fan_out(session, now=utcnow())
        while report.attempted < self.batch and not self._stop.is_set():
            with runtime.session() as session:
                if not has_due(session, now=utcnow()):
                    break
            delivery = deliver_next(
                runtime.engine,
                client=client,
                master_secret=runtime.master_secret,
                now=utcnow(),
                allow_private=runtime.settings.webhook_allow_private_urls,
            )
            if delivery is None:
                break
            report.attempted += 1
            report.delivered += delivery.status == "delivered"
            report.failed += delivery.status == "failed"
        return report

    def run(self, *, once: bool = False) -> PassReport:
        """Passes until stopped (or one pass); a failing pass is logged and retried later."""
        total = PassReport()
        with http_client() as client:
            while not self._stop.is_set():
                try:
                    report = self.run_once(client)
                except Exception:
                    if once:
                        raise
                    log.exception("webhook pass failed; retrying in %.0f s", self.interval)
                    report = PassReport()
                for name in ("queued", "attempted", "delivered", "failed"):
                    setattr(total, name, getattr(total, name) + getattr(report, name))
                if once:
                    break
                if report.attempted < self.batch:  # a full batch: more may be due at once
                    self._stop.wait(self.interval)
        return total

    def start(self) -> None:
        """Run in a daemon thread (the API's lifespan starts it)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="codeid-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 20.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
