"""Every table of the codeid layer, imported in one place for Alembic and tests."""

from codeid.accounts.models import RefreshToken, Role, UserAccount, UserStatus
from codeid.audit.models import AccessChainHead, AccessEvent
from codeid.codes.models import CodeUse, Resolution, StaticCode
from codeid.entities.models import Entity, EntityEvent, EntityStatus
from codeid.keys.models import PLATFORM_RING, KeyStatus, SigningKey
from codeid.limits.models import RateCounter
from codeid.mandates.models import Mandate, MandateRole

__all__ = [
    "PLATFORM_RING",
    "AccessChainHead",
    "AccessEvent",
    "CodeUse",
    "Entity",
    "EntityEvent",
    "EntityStatus",
    "KeyStatus",
    "Mandate",
    "MandateRole",
    "RateCounter",
    "RefreshToken",
    "Resolution",
    "Role",
    "SigningKey",
    "StaticCode",
    "UserAccount",
    "UserStatus",
]
