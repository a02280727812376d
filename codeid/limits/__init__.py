"""Shared counters for rate limits, kept in the database so every process sees the same."""
