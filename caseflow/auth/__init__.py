"""Staff users, roles and permissions, login and personal access tokens."""
