"""The pages' words in Chinese (default) and English, and problem types in words people use.

Templates get ``t(key)``; scripts get the same table as JSON, so a refusal from the API is
shown as, e.g., "请企业刷新二维码" / "ask the business to refresh its code", never a slug.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Literal

from api.web import words

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"


def _collect() -> dict[str, tuple[str, str]]:
    """Merge every module's WORDS under api/web/words; a key defined twice is a bug."""
    merged: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(words.__path__):
        module = importlib.import_module(f"{words.__name__}.{info.name}")
        for key, pair in getattr(module, "WORDS", {}).items():
            if key in merged:
                raise RuntimeError(f"the word {key!r} is defined twice (in {info.name})")
            merged[key] = pair
    return merged


TEXT: dict[str, tuple[str, str]] = _collect()


def pick_lang(requested: str | None) -> Lang:
    return "en" if requested == "en" else DEFAULT_LANG


def translate(key: str, lang: Lang) -> str:
    pair = TEXT.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def table(lang: Lang) -> dict[str, str]:
    return {key: translate(key, lang) for key in TEXT}
