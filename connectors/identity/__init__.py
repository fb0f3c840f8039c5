"""Sign-in through OpenID Connect: citizens and businesses through the national single sign-on (VNeID), officers
through the province's provider. The userinfo claims map to Motcua's applicant fields through data
(`mapping/userinfo.toml`), so a renamed claim is an edited file."""
