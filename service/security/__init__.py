"""Security: API tokens and scopes, the scope policy of the API, the audit trail of writes."""

from provgraph.service.security.audit import (
    Actor,
    AuditEvent,
    AuditTrail,
    WriteAudit,
    acting_as,
    artifact_audit,
    current_actor,
)
from provgraph.service.security.policy import (
    PUBLIC_PATHS,
    auth_required,
    is_loopback,
    required_scope,
)
from provgraph.service.security.tokens import (
    ApiToken,
    CreatedToken,
    Scope,
    TokenNotFound,
    TokenVerifier,
    create_token,
    grants,
    list_tokens,
    revoke_token,
    verify_token,
)

__all__ = [
    "PUBLIC_PATHS",
    "Actor",
    "ApiToken",
    "AuditEvent",
    "AuditTrail",
    "CreatedToken",
    "Scope",
    "TokenNotFound",
    "TokenVerifier",
    "WriteAudit",
    "acting_as",
    "artifact_audit",
    "auth_required",
    "create_token",
    "current_actor",
    "grants",
    "is_loopback",
    "list_tokens",
    "required_scope",
    "revoke_token",
    "verify_token",
]
