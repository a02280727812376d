"""codeid webhooks ..."""

from __future__ import annotations

import typer

from api.cli.output import emit, say
from api.runtime import Runtime
from api.webhook_worker import WebhookWorker

app = typer.Typer(help="Partner webhooks: the delivery worker.", no_args_is_help=True)


@app.command("run")
def run(
    once: bool = typer.Option(False, "--once", help="One pass, print what it did, exit."),
    interval: float = typer.Option(
        None, min=0.1, help="Seconds between passes (default CODEID_WEBHOOK_POLL_SECONDS)."
    ),
) -> None:
    """Fan licence events out to subscribed partners and send due deliveries, with retries.

    Safe beside other workers (API processes run one unless CODEID_WEBHOOK_WORKER=false).
    """
    runtime = Runtime.prepared()
    worker = WebhookWorker(runtime, interval=interval)
    if once:
        emit(worker.run(once=True))
        return
    say("webhook worker running; Ctrl-C stops it")
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.stop()
