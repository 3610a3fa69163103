"""A message for one staff member, shown under the bell until read."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import UTCDateTime, now_utc
from caseflow.extensions import db
from caseflow.labels import shown_message

# The bell's list leads with the urgent: a threat, a waiting police request, an overdue case.
NOTIFICATION_PRIORITIES = ("urgent", "soon", "routine")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.CheckConstraint("priority IN ('urgent', 'soon', 'routine')", name="priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The words as written for the recipient, in the language they chose then.
    text: Mapped[str] = mapped_column(sa.String(500))
    # The same words as a message (caseflow.labels.Message.as_json): shown in the language the
    # reader chose now. None for a notification written before messages were kept.
    message: Mapped[dict | None] = mapped_column(sa.JSON)
    # Where it leads, as a path inside Caseflow (never an outside address).
    link: Mapped[str | None] = mapped_column(sa.String(300))
    priority: Mapped[str] = mapped_column(sa.String(10), default="routine", server_default="routine")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def shown_text(self):
        """The words in the reader's language: from the message when one was kept, else the text
        as written (translated if it is a message of the catalog)."""
        return shown_message(self.message if self.message is not None else self.text)
