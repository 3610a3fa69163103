"""In-app notifications: the bell with the unread count, and the list."""
