"""My usage: each signed-in user's own requests, sessions, usage units and data-access audit."""
