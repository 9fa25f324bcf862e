"""Authentication: JWTs (RS256 via JWKS; HS256 only in the local cloud) and hashed `tly_` API keys."""
