"""Who acts: units, roles, accounts and memberships, signing in, and the acting user."""
