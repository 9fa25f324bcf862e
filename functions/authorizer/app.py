"""The HTTP API Lambda authorizer: verifies bearer JWTs and `tly_` API keys (simple responses).

For an authenticated caller it also passes the request's client (browser and OS family) and country,
derived here so that the access log (which records each request's usage) never holds a raw IP or
User-Agent.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.auth.authorizer import authorize
from tally.auth.wiring import api_key_verifier, revocation_check, token_verifier
from tally.platform.observability import logger, metrics, tracer
from tally.web.enrich.client_family import client_family
from tally.web.enrich.geo import country_from
from tally.web.enrich.network import client_ip
from tally.web.enrich.settings import enrich_settings
from tally.web.enrich.wiring import geoip_reader


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    decision = authorize(headers, tokens=token_verifier(), api_keys=api_key_verifier(), revocations=revocation_check())
    authenticated = decision["context"]["authenticated"]  # type: ignore[index]
    metrics.add_metric(name="Authenticated" if authenticated else "Anonymous", unit="Count", value=1)
    if authenticated:
        decision["context"].update(_request_facts(event, headers))  # type: ignore[attr-defined]
    return decision


def _request_facts(event: dict[str, Any], headers: dict[str, str]) -> dict[str, str]:
    """The caller's client and country for the usage record (empty when unknown)."""
    ip = client_ip(event, trust_forwarded_for=enrich_settings().trust_forwarded_for)
    return {"client": client_family(headers.get("user-agent")) or "",
            "country": country_from(headers, ip, geoip_reader()) or ""}
