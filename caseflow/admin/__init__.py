"""System administration pages: staff accounts, their roles, schools and tokens."""
