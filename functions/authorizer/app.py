"""The HTTP API Lambda authorizer: verifies bearer JWTs and `tly_` API keys (simple responses)."""

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.auth.api_keys import ApiKeyVerifier, DynamoApiKeyStore
from tally.auth.authorizer import authorize
from tally.auth.settings import auth_settings
from tally.auth.tokens import JwksSigningKeys, TokenVerifier
from tally.platform.observability import logger, metrics, tracer


@cache
def token_verifier() -> TokenVerifier:
    settings = auth_settings()
    return TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        signing_keys=JwksSigningKeys(settings.jwks_url) if settings.jwks_url else None,
        local_hs256_secret=settings.local_hs256_secret,
    )


@cache
def api_key_verifier() -> ApiKeyVerifier:
    settings = auth_settings()
    return ApiKeyVerifier(DynamoApiKeyStore(settings.identity_table), cache_s=settings.api_key_cache_s)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    decision = authorize(headers, tokens=token_verifier(), api_keys=api_key_verifier())
    authenticated = decision["context"]["authenticated"]  # type: ignore[index]
    metrics.add_metric(name="Authenticated" if authenticated else "Anonymous", unit="Count", value=1)
    return decision
