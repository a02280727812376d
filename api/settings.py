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
    # Bearer token for administration over HTTP (registering issuers, trust grants).
    # Unset: those endpoints are refused; the CLI on the server can still do it.
    admin_token: SecretStr | None = None
    status_list_ttl_seconds: int = 300

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'codeid.db').resolve()}"
        return self

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"
