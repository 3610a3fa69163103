"""A record of every import that was run for real (dry runs leave nothing behind)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import UTCDateTime, enum_column_type, now_utc
from caseflow.extensions import db

IMPORT_FORMATS = ("edfi", "oneroster")
# committed: every accepted row was kept; refused: a row was rejected, nothing was kept.
IMPORT_OUTCOMES = ("committed", "refused")


class ImportRun(db.Model):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    source_format: Mapped[str] = mapped_column(enum_column_type(IMPORT_FORMATS, "source_format"))
    source: Mapped[str] = mapped_column(sa.String(500))  # the path given
    outcome: Mapped[str] = mapped_column(enum_column_type(IMPORT_OUTCOMES, "outcome"))
    accept_partial: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # {kind: {"created": n, "updated": n, "unchanged": n, "rejected": n, "skipped": n}}
    counts: Mapped[dict] = mapped_column(sa.JSON)
    # [{"file": ..., "where": ..., "reason": ...}], the rejected rows, then the skipped ones.
    rejects: Mapped[list] = mapped_column(sa.JSON)
    skipped: Mapped[list] = mapped_column(sa.JSON)
