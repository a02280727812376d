"""Configuration, read from CODEID_* environment variables (and nothing else)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, model_validator
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
