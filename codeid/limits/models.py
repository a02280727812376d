"""A fixed-window request counter per bucket (a partner client, a login name, an address)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RateCounter(SQLModel, table=True):
    __tablename__ = "rate_counter"

    bucket: str = Field(primary_key=True, max_length=120)
    window_start: int = Field(primary_key=True)  # seconds since 1970, a multiple of the window
    count: int = Field(default=0)
