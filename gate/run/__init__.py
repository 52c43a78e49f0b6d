"""Running gate: the session, checks, access decisions, the locks, the loader."""
