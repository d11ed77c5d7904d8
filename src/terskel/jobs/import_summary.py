"""What an import did, file by file: counted by the FIT importer and the export importer."""

from __future__ import annotations

from dataclasses import dataclass, field

from terskel.store import SaveOutcome


@dataclass
class ImportSummary:
    """What an import did, file by file."""

    imported: int = 0  # new activities
    linked: int = 0  # recordings of an activity already stored (another device or source)
    present: int = 0  # files imported before (same bytes)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # not activities
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # implausible values
    activity_ids: list[int] = field(default_factory=list)

    def count(self, outcomes: list[SaveOutcome]) -> None:
        """Add what the store did with a batch: new activities, or linked to stored ones."""
        for outcome in outcomes:
            self.activity_ids.append(outcome.activity_id)
            if outcome.status == "imported":
                self.imported += 1
            else:
                self.linked += 1
