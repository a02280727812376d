"""Request and response bodies of the partner API: OAuth, consents, partner-shaped answers.

Partner-shaped answers forbid extra members, so a response model union (full answer for
staff, narrow answer for partners) always validates to the shape that was meant.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.licence_schemas import LicenceOut, LicenceVerifyIn, LicenceViewOut, MatchIn
from api.schemas import VerifyIn
from credentials.partners.models import PartnerClient

PURPOSE_DESCRIPTION = (
    "Why the data is needed (recorded in the access log). Required for partner clients."
)
Purpose = Field(default=None, max_length=300, description=PURPOSE_DESCRIPTION)


class CodeVerifyIn(VerifyIn):
    purpose: str | None = Purpose


class LicenceVerifyPurposeIn(LicenceVerifyIn):
    purpose: str | None = Purpose


class MatchPurposeIn(MatchIn):
    purpose: str | None = Purpose


class EntitySummaryOut(BaseModel):
    """Public registry facts: who the code names and whether it may trade."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    uscc: str
    name: str
    status: str


class PartnerVerifyOut(BaseModel):
    """A code verified by a partner (or a business user not acting for that entity): valid or
    not, whose, and the licences of the types the holder consented to."""

    model_config = ConfigDict(extra="forbid")

    valid: bool
    reason: str
    message: str
    uscc: str | None = None
    entity: EntitySummaryOut | None = None
    consented_types: list[str] = Field(default_factory=list)
    licences: list[LicenceViewOut] = Field(
        default_factory=list, description="Current licences of the consented types only"
    )


class LicenceSummaryOut(BaseModel):
    """A licence without its contents: what a partner without consent learns by verifying."""

    model_config = ConfigDict(extra="forbid")

    identifier: str
    type_code: str
    holder_uscc: str
    issuer_uscc: str
    status: str
    effective_status: str


class LicenceVerdictView(BaseModel):
    valid: bool
    reason: str
    message: str
    licence: LicenceOut | LicenceSummaryOut | None = None


class PartnerOut(BaseModel):
    """A partner a business may consent to."""

    client_id: str
    name: str
    scopes: list[str]


class ClientOut(PartnerOut):
    model_config = ConfigDict(from_attributes=True)

    status: str
    rate_limit_per_minute: int
    private_key_jwt: bool
    client_secret_basic: bool
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, client: PartnerClient) -> ClientOut:
        """What may be shown of a client: never its secret hash nor its keys."""
        return cls(
            client_id=client.client_id,
            name=client.name,
            scopes=list(client.scopes),
            status=client.status,
            rate_limit_per_minute=client.rate_limit_per_minute,
            private_key_jwt=client.jwks is not None,
            client_secret_basic=client.secret_hash is not None,
            created_at=client.created_at,
            disabled_at=client.disabled_at,
        )


class ConsentIn(BaseModel):
    client_id: str = Field(min_length=1, max_length=40)
    licence_types: list[str] = Field(min_length=1, max_length=50, examples=[["food-business"]])
    expires_at: datetime = Field(description="When the consent lapses (at most ~3 years ahead)")
    purpose: str = Field(default="", max_length=300)


class ConsentOut(BaseModel):
    id: int
    uscc: str
    client_id: str
    partner_name: str
    licence_types: list[str]
    purpose: str
    state: str = Field(description='"active", "expired" or "revoked"')
    granted_by: int | None
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: int | None


class PublicLicenceTypeOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class PublicCheckOut(BaseModel):
    """What anyone learns from a static code on a shop door."""

    valid: bool
    reason: str
    message: str
    entity: EntitySummaryOut | None = None
    valid_licence_types: list[PublicLicenceTypeOut] = Field(default_factory=list)
    checked_at: datetime


class TokenOut(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    scope: str


class OAuthErrorOut(BaseModel):
    """RFC 6749 §5.2 error response (the token endpoint's errors are not problem details)."""

    error: str
    error_description: str | None = None
