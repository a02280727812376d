"""Configuration, read from CODEID_* environment variables (and nothing else)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CODEID_", extra="ignore")

    data_dir: Path = Path(".codeid")
    # Empty means the embedded default: an SQLite file in the data directory.
    database_url: str = ""
    master_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    dynamic_code_ttl_seconds: int = 120
    static_code_ttl_days: int = 3650
    max_upload_bytes: int = 10 * 1024 * 1024
    # The "iss" of access tokens and the OAuth issuer identifier; the public base URL.
    public_url: str = ""
    access_token_ttl_seconds: int = 600
    refresh_token_ttl_days: int = 14
    status_list_ttl_seconds: int = 300
    # Partner webhooks: each API process runs a delivery worker thread unless this is false
    # (`codeid webhooks run` is the same worker as a command); it polls this often.
    webhook_worker: bool = True
    webhook_poll_seconds: float = 2.0
    # Allow webhook URLs on loopback and private networks (tests, a closed intranet only):
    # otherwise a partner could make the server call internal services (SSRF).
    webhook_allow_private_urls: bool = False
    # Observe (docs/observe.md). Logs: "json" lines or "text"; level debug|info|warning|error.
    log_format: str = "json"
    log_level: str = "info"
    # /metrics: administrators, or a scraper sending this as its bearer token; anyone only
    # when metrics_public is true (an internal-only port: the figures show traffic patterns).
    metrics_token: SecretStr | None = None
    metrics_public: bool = False
    # The HTTP edge (docs/security-edge.md). Browser origins allowed to call the API from
    # their pages (CORS, no credentials), as a JSON list: '["https://portal.example.gov.cn"]'.
    cors_origins: list[str] = []
    # Request bodies: JSON and forms; imports and the hall set-up (uploads: max_upload_bytes).
    max_json_bytes: int = Field(default=64 * 1024, ge=1024)
    max_import_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # Failed sign-ins allowed per username and per client address in each window.
    login_failures_per_username: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=50, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Anonymous code checks (/check, /v1/public/check) per client address a minute.
    public_checks_per_minute: int = Field(default=60, ge=1)
    # `codeid serve`: reverse proxies trusted to name the client in X-Forwarded-For
    # (comma-separated addresses; empty: none), and how long a worker may take to start.
    forwarded_allow_ips: str = ""
    worker_start_timeout_seconds: int = Field(default=60, ge=5)
    # PostgreSQL connection pool, per process (docs/deploy.md: workers x (size + overflow)
    # must stay under the server's max_connections). A request waits at most
    # db_pool_timeout_seconds for a connection, then gets 503 database-unavailable.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    db_connect_timeout_seconds: int = Field(default=5, ge=2)  # libpq's minimum is 2
    # PostgreSQL cancels a statement running longer than this (0: never).
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'codeid.db').resolve()}"
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        return self

    @property
    def issuer_url(self) -> str:
        return self.public_url

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"
