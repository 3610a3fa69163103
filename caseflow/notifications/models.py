"""A message for one staff member, shown under the bell until read."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import UTCDateTime, now_utc
from caseflow.extensions import db

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
    text: Mapped[str] = mapped_column(sa.String(500))
    # Where it leads, as a path inside Caseflow (never an outside address).
    link: Mapped[str | None] = mapped_column(sa.String(300))
    priority: Mapped[str] = mapped_column(sa.String(10), default="routine", server_default="routine")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
