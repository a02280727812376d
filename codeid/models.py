"""Every table of the codeid layer, imported in one place for Alembic and tests."""

from codeid.codes.models import CodeUse, Resolution, StaticCode
from codeid.entities.models import Entity, EntityEvent, EntityStatus
from codeid.keys.models import PLATFORM_RING, KeyStatus, SigningKey

__all__ = [
    "PLATFORM_RING",
    "CodeUse",
    "Entity",
    "EntityEvent",
    "EntityStatus",
    "KeyStatus",
    "Resolution",
    "SigningKey",
    "StaticCode",
]
