"""Users, roles, jurisdictions and bearer tokens."""
