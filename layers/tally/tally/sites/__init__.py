"""Sites: the websites an organisation tracks (domain, time zone, retention) and their deletion."""
