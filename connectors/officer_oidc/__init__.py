"""Officers' sign-in through the province's OpenID provider: the identity connector's client with another
configuration (MOTCUA_OFFICER_OIDC_*)."""
