"""Sign-in beyond the local password: the district's OpenID Connect provider, TOTP multi-factor
with recovery codes, password reset by e-mail, and the sign-in history."""
