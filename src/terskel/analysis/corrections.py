"""The runner's word: structure labels and session types a runner set by hand.

Corrections are stored apart from what analysis computes (table `corrections`)
and applied after it each time, so they beat detection and the typing rules
and survive `analyze --rebuild`. A structure correction has source `user` and
confidence 1; a type correction applies to the whole outing of its activity.

Structure grammar (what `intervals ID --set` accepts), parts joined by ` + `:

- `NxAMOUNT[/REST]`: a set of N reps, e.g. `5x1km/2min`, `6x400m/200m`, `3x10min/60s`;
  N may be a range (`6-8x1km/2min`);
- a ladder `400-800-1200-800-400m[/REST]` (one unit for every rep);
- `continuous` or `fartlek` alone.

Amounts: a distance (`400m`, `1km`, `1.5km`, `1mi`) or a time (`90s`, `3min`, `1h`, `1:30`).
"""

from __future__ import annotations

import re

import polars as pl

AID = "activity_id"
_AMOUNT = r"(?:\d+(?:\.\d+)?(?:m|km|mi|s|min|h)|\d+:\d{2})"
_SET = re.compile(rf"(\d+)(?:-(\d+))?x{_AMOUNT}(?:/{_AMOUNT})?")
_LADDER = re.compile(r"(\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)+)(?:m|km|s|min)(?:/" + _AMOUNT + ")?")
WHOLE = ("continuous", "fartlek")
GRAMMAR = (
    "NxDIST/REST (5x1km/2min), sets joined by ' + ', a ladder (400-800-1200-800-400m), "
    "continuous or fartlek"
)


class LabelError(ValueError):
    """A structure label outside the grammar; the message is one line."""


def parse_label(text: str) -> tuple[str, int]:
    """The label in canonical spacing and its number of reps; LabelError when malformed."""
    label = " ".join(text.split()).lower()
    if label in WHOLE:
        return label, 0
    parts = [p.strip() for p in label.split("+")]
    reps = 0
    for part in parts:
        if (m := _SET.fullmatch(part)) is not None:
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            if lo < 1 or hi < lo:
                raise LabelError(f"structure {text!r}: {part!r} needs 1 or more reps ({GRAMMAR})")
            reps += hi
        elif (m := _LADDER.fullmatch(part)) is not None:
            reps += len(m.group(1).split("-"))
        else:
            raise LabelError(f"structure {text!r}: {part!r} is not {GRAMMAR}")
    return " + ".join(parts), reps


def with_user_structures(labels: pl.DataFrame, corrections: pl.DataFrame) -> pl.DataFrame:
    """Labels with the runner's structure corrections in place (source user, confidence 1).

    `labels`: activity_id, label, source, n_work (any other column kept);
    `corrections`: activity_id, value (the label the runner set).
    """
    if corrections.is_empty() or labels.is_empty():
        return labels
    reps = {v: parse_label(v)[1] for v in corrections["value"].unique().to_list()}
    user = corrections.select(
        AID,
        user_label=pl.col("value"),
        user_reps=pl.col("value").replace_strict(reps, return_dtype=pl.Int64),
    )
    out = labels.join(user, on=AID, how="left")
    is_user = pl.col("user_label").is_not_null()
    changes = [
        pl.when(is_user).then(pl.col("user_label")).otherwise(pl.col("label")).alias("label"),
        pl.when(is_user).then(pl.lit("user")).otherwise(pl.col("source")).alias("source"),
        pl.when(is_user)
        .then(pl.col("user_reps"))
        .otherwise(pl.col("n_work"))
        .cast(labels.schema["n_work"])
        .alias("n_work"),
    ]
    if "confidence" in labels.columns:
        changes.append(
            pl.when(is_user).then(pl.lit(1.0)).otherwise(pl.col("confidence")).alias("confidence")
        )
    return out.with_columns(changes).select(labels.columns)


def typing_segments(segments: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Segments that session typing reads: none where the runner said `continuous`."""
    if labels.is_empty() or "source" not in labels.columns:
        return segments
    steady = labels.filter((pl.col("source") == "user") & (pl.col("label") == "continuous"))
    if steady.is_empty():
        return segments
    return segments.join(steady.select(AID), on=AID, how="anti")


def with_user_types(
    sessions: pl.DataFrame, corrections: pl.DataFrame, outing_of: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Sessions with the runner's type corrections: the whole outing takes the set type.

    `corrections`: activity_id, value (a session type). The reason keeps what the
    rules said, so the runner sees both.
    """
    if corrections.is_empty() or sessions.is_empty():
        return sessions
    per_outing = (
        sessions.select(AID, "outing_id")
        .join(corrections.select(AID, user_type="value"), on=AID)
        .group_by("outing_id")
        .agg(pl.col("user_type").sort_by(AID).last())
    )
    out = sessions.join(per_outing, on="outing_id", how="left")
    is_user = pl.col("user_type").is_not_null()
    return out.with_columns(
        reason=pl.when(is_user)
        .then(
            pl.format(
                "set by you (the rules said {}: {})", pl.col("session_type"), pl.col("reason")
            )
        )
        .otherwise(pl.col("reason")),
        session_type=pl.when(is_user).then(pl.col("user_type")).otherwise(pl.col("session_type")),
        **({"disputed": pl.col("disputed") & ~is_user} if "disputed" in sessions.columns else {}),
    ).select(sessions.columns)
