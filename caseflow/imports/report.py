"""What an import did: per kind of record, how many were created, updated, left unchanged,
rejected (with the file, the row or element and the reason) or skipped on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = (
    "files",
    "schools",
    "staff",
    "students",
    "guardians",
    "guardian_links",
    "incidents",
    "discipline_actions",
)
OUTCOMES = ("created", "updated", "unchanged", "rejected", "skipped")


@dataclass(frozen=True)
class Where:
    """A place in the source: the file and the row (CSV) or element (XML)."""

    file: str
    where: str

    def __str__(self) -> str:
        return f"{self.file}, {self.where}"


@dataclass(frozen=True)
class Problem:
    kind: str
    source: Where
    reason: str

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.source.file,
            "where": self.source.where,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    source_format: str
    source: str
    dry_run: bool = False
    accept_partial: bool = False
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {kind: dict.fromkeys(OUTCOMES, 0) for kind in KINDS}
    )
    rejects: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    committed: bool = False
    run_id: int | None = None

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    def reject(self, kind: str, source: Where, reason: str) -> None:
        self.rejects.append(Problem(kind, source, reason))
        self.count(kind, "rejected")

    def skip(self, kind: str, source: Where, reason: str) -> None:
        self.skipped.append(Problem(kind, source, reason))
        self.count(kind, "skipped")

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    @property
    def ok(self) -> bool:
        return not self.rejects

    @property
    def outcome(self) -> str:
        if self.dry_run:
            return "dry run: nothing written"
        if self.committed:
            return "committed" + (" (accepted rows only)" if self.rejects else "")
        return "refused: nothing written (a row was rejected; all or nothing)"

    def describe(self) -> str:
        """The report as plain text, for the command line."""
        lines = [f"Import of {self.source} ({self.source_format}): {self.outcome}"]
        width = max(len(k) for k in KINDS)
        lines.append(f"  {'':{width}}  " + "  ".join(f"{o:>9}" for o in OUTCOMES))
        for kind in KINDS:
            row = self.counts[kind]
            if any(row.values()):
                lines.append(f"  {kind:{width}}  " + "  ".join(f"{row[o]:>9}" for o in OUTCOMES))
        for note in self.notes:
            lines.append(f"Note: {note}")
        if self.rejects:
            lines.append(f"Rejected ({len(self.rejects)}):")
            lines += [f"  {p.source}: {p.reason}" for p in self.rejects]
        if self.skipped:
            lines.append(f"Skipped ({len(self.skipped)}):")
            lines += [f"  {p.source}: {p.reason}" for p in self.skipped]
        return "\n".join(lines)
