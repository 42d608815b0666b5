"""Signal receivers: thin, they hand off to ``api`` after the login transaction commits."""
