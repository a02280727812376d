"""Log records as JSON lines (or text), each with the request id, secrets redacted.

``logging_config`` is the ``logging.config.dictConfig`` document ``codeid serve`` hands to
uvicorn (``log_config``), so every worker process formats its records the same way. The
handler carries two filters: one adds the request id of the request being served
(api.observability.request_id), one redacts what must never reach a log - bearer tokens,
JWTs, refresh tokens and client secrets, business code payloads, and any extra field named
like a secret. The code never logs request bodies, so licence field values and passwords do
not get this far; the redaction is defence in depth.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from api.observability.request_id import current_request_id

LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
REDACTED = "[redacted]"
# (pattern, replacement): what a secret looks like in free text.
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    # HTTP credentials (RFC 6750, RFC 7617); "Basic" case-sensitive, not to eat prose.
    (re.compile(r"\b((?i:bearer)\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{REDACTED}"),
    (re.compile(r"\b(Basic\s+)[A-Za-z0-9+/]{8,}={0,2}"), rf"\1{REDACTED}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),  # JWT/JWS
    (re.compile(r"\b(?:rt|cs|whsec)_[A-Za-z0-9_+/=-]{16,}"), REDACTED),  # refresh, secrets
    # A business code: CID<version>: then Base45 (digits, capitals, space and $%*+-./:).
    (re.compile(r"\bCID\d{1,6}:[0-9A-Z$%*+./:-]+(?: [0-9A-Z$%*+./:-]+)*"), REDACTED),
    (
        re.compile(
            r"(?i)(\"?\b(?:password|passwd|client_secret|refresh_token|access_token|"
            r"metrics_token|master_key)\"?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&}]+)"
        ),
        rf"\1{REDACTED}",
    ),
)
_SECRET_NAME = re.compile(
    r"(?i)(password|passwd|secret|token|authorization|cookie|payload|master_key)"
)
_LEFT_OUT = frozenset({"color_message"})
# LogRecord's own attributes: never treated as extra fields.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """``text`` with anything that looks like a token, secret or business code replaced."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean_field(str(key), item) for key, item in value.items()}
    return value


def _clean_field(name: str, value: Any) -> Any:
    if name != "request_id" and _SECRET_NAME.search(name):
        return REDACTED
    return _clean(value)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (None outside a request) unless the record already names one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class RedactFilter(logging.Filter):
    """Redacts the message and the extra fields of every record the handler sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the formatter to report
            return True
        record.msg, record.args = redact(message), None
        for name in set(record.__dict__) - _RECORD_ATTRIBUTES:
            record.__dict__[name] = _clean_field(name, record.__dict__[name])
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id, then any extras."""

    def __init__(self) -> None:
        super().__init__(
            ["asctime", "levelname", "name", "message", "request_id"],
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _iso_time(record)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # Exception text, stack and any extra field: redacted like the message. uvicorn's
        # "color_message" repeats the message with terminal escapes: left out.
        return {
            key: _clean_field(key, value) for key, value in log_data.items() if key not in _LEFT_OUT
        }


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request id] message`` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _iso_time(record)

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return redact(super().format(record))


def _iso_time(record: logging.LogRecord) -> str:
    """UTC, to the millisecond: 2026-11-27T09:30:00.123Z."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


def check(log_format: str, log_level: str) -> None:
    """Refuse an unknown format or level with a message naming the choices."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r}: use one of {', '.join(LOG_FORMATS)}")
    if log_level.lower() not in LOG_LEVELS:
        raise ValueError(f"log level {log_level!r}: use one of {', '.join(LOG_LEVELS)}")


def stream_handler(log_format: str = "json", stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing to ``stream`` (stderr) in ``log_format``, with both filters."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
    return handler


def logging_config(log_format: str = "json", log_level: str = "info") -> dict[str, Any]:
    """The dictConfig document for uvicorn's ``log_config``: everything through one handler.

    uvicorn's own access log is silenced (ours replaces it: it would log query strings)."""
    check(log_format, log_level)
    level = log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "default": {"()": f"{__name__}.stream_handler", "log_format": log_format},
        },
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "root": {"level": level, "handlers": ["default"]},
    }
