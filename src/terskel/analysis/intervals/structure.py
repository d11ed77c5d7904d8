"""The structure grammar: which efforts are reps, chosen by score.

A session is: warm-up, sets of >= 2 similar reps with similar recoveries
(set breaks between), at most `MAX_EXTRAS` lone efforts, cool-down; or a
ladder (rep lengths stepping up and down), or a fartlek (irregular repeated
surges); or `continuous`. Every parse is scored in nats, like a description
length against `continuous` (score 0):

- *regularity*: a set predicts its reps' lengths (time or distance, whichever
  repeats better) and its recoveries' lengths; each value predicted within
  `TAU` (plus boundary noise) saves the `LOG_RANGE` nats an unpredicted
  length costs (log-uniform over 10 s .. 30 min); values far from the set's
  mean cost more than they save;
- *levels*: reps of one part run at one speed (`TAU_SPEED`); what that saves
  is measured against the spread of the run's own effort levels (a steady
  run's efforts are all alike, so alike reps prove little there);
- *fit gain*: 0.5 log(1 + z^2) per rep, z the rep/recovery contrast over the
  pooled spread of the bins inside them;
- *complexity*: each part costs its parameters (`PART_COST`: rep and
  recovery length, speed, each to within TAU; its count under a 1/n prior,
  `count_nats`), and where it starts and ends
  among the candidates (log(k + 1) per boundary between blocks of parts and
  skipped candidates; parts that meet share one; running to the end is none).

Candidate reps come from thresholds between the effort levels of the
change-point fit (see `levels`): each threshold splits the efforts into
fast stretches and the rest; stops never end a stretch by themselves (a stop
between two fast efforts with no slow running is a light, not a recovery).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from terskel.analysis.intervals.effort import Piece
from terskel.analysis.intervals.parts import (
    LOG_SPEED_RANGE,
    MAX_PART,
    PARAM_NATS,
    TAU_SPEED,
    Feats,
    Part,
    Stretch,
    add_gap,
    add_rep,
    group_parts,
)
from terskel.analysis.intervals.segmentation import BIN_S, Moments

# at most this many lone efforts next to the sets
MAX_EXTRAS = 2
# an extra effort's speed is described to within this relative spread (see `_extra`)
TAU_EXTRA = 0.1
# one more rep next to a set: its length and recovery within this factor of the set's
NEXT_GAP = 1.25
# a stop this long can end a rep (a standing recovery), in the variant that allows it
MIN_STANDING_S = 20.0
MIN_REP_S = 10.0
MAX_REP_S = 1800.0
# a recovery is at most this many times the rep around it, or this long (s)
MAX_RECOVERY_FACTOR = 4.0
MIN_MAX_RECOVERY_S = 360.0
# a gap shorter than this much slow running (s) is no recovery (a stop is not one)
MIN_RECOVERY_RUN_S = 2 * BIN_S
# ... and a recovery lasts at least this long (s, elapsed: standing counts): a shorter
# slow stretch between two fast ones is a dip (a corner, a GPS hiccup) inside one rep
MIN_RECOVERY_S = 3 * BIN_S


def level_entropy(pieces: list[Piece], floor_sd: float) -> float:
    """Entropy (nats) of the efforts' log effort speeds (grade-adjusted, as the reps'
    are, see `_stretch`), a time-weighted normal with sd at least `floor_sd`: what
    one effort's speed costs knowing the run."""
    ps = [p for p in pieces if not p.stop and p.moving_s > 0 and p.speed > 0]
    if len(ps) < 2:
        return math.inf
    w = np.array([p.moving_s for p in ps])
    x = np.log([p.level for p in ps])
    m = float((w * x).sum() / w.sum())
    sd = max(math.sqrt(float((w * (x - m) ** 2).sum() / w.sum())), floor_sd)
    return 0.5 * math.log(2 * math.pi * math.e * sd * sd)


def speed_base(pieces: list[Piece]) -> float:
    """The nats a rep's speed costs in a continuous reading of this run (see
    `level_entropy`), at most LOG_SPEED_RANGE."""
    return min(LOG_SPEED_RANGE, level_entropy(pieces, TAU_SPEED))


@dataclass
class Parse:
    """One reading of a session: its parts and score (continuous: no parts)."""

    parts: list[Part] = field(default_factory=list)
    score: float = 0.0

    @property
    def reps(self) -> list[Stretch]:
        return [r for p in self.parts for r in p.reps]


def ceilings(pieces: list[Piece], sigma: float, graded: bool = False) -> list[float]:
    """Per piece, the highest threshold at which it is fast: its speed, or its
    grade-adjusted speed (see `effort`) plus its own noise (`sigma` per bin) where
    that is lower: a descent run fast is the hill's speed, not the runner's. In a
    `graded` run (see `segmentation.graded`: the pieces are the effort's) it is the
    grade-adjusted speed either way: a hill rep's slow last climb is part of the rep."""
    if graded:
        return [p.level for p in pieces]
    # without a grade the level is the speed: the noise only raises it, min keeps the speed
    return [
        min(p.speed, p.level + sigma * math.sqrt(BIN_S / max(p.moving_s, BIN_S))) for p in pieces
    ]


def _stretches(
    pieces: list[Piece], thr: float, standing: bool = False, ceil: list[float] | None = None
) -> list[Stretch]:
    """Fast stretches of efforts above `thr` (their `ceilings`; default their speed);
    stops without slow running between join (unless `standing`: then a stop of
    MIN_STANDING_S ends a stretch)."""
    out: list[Stretch] = []
    cur: list[Piece] = []
    slow_run = 0.0
    stood = 0.0
    for p, top in zip(pieces, ceil or [p.speed for p in pieces], strict=True):
        if not p.stop and top > thr:
            recovered = slow_run >= MIN_RECOVERY_RUN_S and slow_run + stood >= MIN_RECOVERY_S
            if cur and (recovered or (standing and stood >= MIN_STANDING_S)):
                out.append(_stretch(cur))
                cur = []
            cur.append(p)
            slow_run = stood = 0.0
        elif cur:
            slow_run += p.moving_s
            stood += p.elapsed_s - p.moving_s
    if cur:
        out.append(_stretch(cur))
    return [s for s in out if MIN_REP_S <= s.moving_s <= MAX_REP_S]


def _stretch(ps: list[Piece]) -> Stretch:
    fast = [p for p in ps if not p.stop]
    moving = sum(p.moving_s for p in fast)
    dist = sum(p.dist for p in fast)
    effort = sum(p.level * p.moving_s for p in fast)
    return Stretch(ps[0].start, fast[-1].end, moving, dist, effort / max(moving, 1.0))


def _extra(rep: Stretch, v_main: float, n_main: float, mo: Moments, vbase: float) -> float:
    """Score of a lone effort next to the sets (reps of median speed v_main and
    length n_main), before its place (`_place`): a hard effort, clear of the running
    around it (one effort length either side), and at least half a rep long.

    Its evidence is its own contrast, not its likeness to the sets' pace (a fast
    kilometre after 400s runs slower than they did, a closing 200 m faster): it must
    be *hard*, no more than 3 TAU_SPEED slower than the sets' pace (as a rep of a set,
    see `parts.group_parts`; faster is no less hard), and *distinct*, more than
    3 TAU_SPEED faster than its surroundings (within that it is the same pace: a
    faster stretch of the easy running, not an effort)."""
    if rep.moving_s < n_main / 2:
        return -math.inf
    if math.log(max(rep.speed, 0.1) / v_main) < -3 * TAU_SPEED:
        return -math.inf
    span = rep.end - rep.start
    lo, hi = max(0, rep.start - span), min(mo.n.size - 1, rep.end + span)
    n_in, s_in, ss_in = mo.over(rep.start, rep.end)
    n1, s1, ss1 = mo.over(lo, rep.start)
    n2, s2, ss2 = mo.over(rep.end, hi)
    n_out, s_out, ss_out = n1 + n2, s1 + s2, ss1 + ss2
    if n_in < 1 or n_out < 1 or rep.speed * n_out <= s_out * math.exp(3 * TAU_SPEED):
        return -math.inf
    # a hard pace is one the sets told: its speed saves what `continuous` pays for an
    # effort's speed, vbase (the run's own level entropy, as for a set's reps, see
    # `group_parts`), less its own code to within TAU_EXTRA: where a run's efforts are
    # all alike, a hard effort proves little
    level = vbase - 0.5 * math.log(2 * math.pi * TAU_EXTRA**2)
    within = ss_in - s_in**2 / n_in + ss_out - s_out**2 / n_out
    z = (s_in / n_in - s_out / n_out) / math.sqrt(max(within, 1e-6) / (n_in + n_out))
    return 0.5 * math.log1p(n_in / BIN_S * z * z) + level - PARAM_NATS / 2


def _recovery(a: Stretch, b: Stretch) -> bool:
    """Whether the gap between two reps can be a recovery (not a run of its own)."""
    longer = max(a.end - a.start, b.end - b.start)
    return b.start - a.end <= max(MAX_RECOVERY_FACTOR * longer, MIN_MAX_RECOVERY_S)


def parse_reps(
    stretches: list[Stretch], cd: np.ndarray, mo: Moments, vbase: float = LOG_SPEED_RANGE
) -> Parse:
    """Best split of the candidates into parts and skipped ones (dynamic programming);
    when no part pays its way, the best one that does not (score < 0, see `_runner_up`)."""
    k = len(stretches)
    where = math.log(k + 1)
    bp, bs = [-math.inf] * (k + 1), [0.0] * (k + 1)  # stretches[:j] ending in a part / a skip
    back: Back = [(0, False, None)] * (k + 1)
    f = Feats(stretches, cd, mo)
    for j in range(1, k + 1):
        bs[j] = max(bs[j - 1], bp[j - 1] - where)
        # running sums of stretches[i:j]: reps (weights, time, distance, log, speed), longest
        # rep, rep and gap moments, gaps (weights, time, distance, log), gaps stood, slowest rep
        acc = [0.0] * 26 + [math.inf]
        add_rep(acc, f, j - 1, stretches[j - 1].moving_s)
        for i in range(j - 2, max(-1, j - 1 - MAX_PART), -1):
            if not _recovery(stretches[i], stretches[i + 1]):
                break  # a set break: parts do not reach across it
            add_rep(acc, f, i, stretches[i].moving_s)
            add_gap(acc, f, i)
            prev = max(bp[i], bs[i]) - where
            for part in group_parts(stretches, i, j, acc, f, vbase):
                if prev + part.score > bp[j]:
                    bp[j], back[j] = prev + part.score, (i, bp[i] > bs[i], part)
    parts = _trace(back, bp, bs, k, bp[k] > bs[k], where)
    if parts:
        return _with_extras(Parse(parts, max(bp[k], bs[k])), stretches, mo, vbase)
    return _runner_up(back, bp, bs, where)


# per end of a part: where it starts, whether a part ends there, the part
Back = list[tuple[int, bool, Part | None]]


def _trace(
    back: Back, bp: list[float], bs: list[float], j: int, in_part: bool, where: float
) -> list[Part]:
    """The parts of the best parse of stretches[:j] (ending in a part or a skip)."""
    parts: list[Part] = []
    while j > 0:
        if not in_part:  # a skipped candidate; a part before it pays the boundary
            j, in_part = j - 1, bp[j - 1] - where > bs[j - 1]
            if in_part:
                back[j][2].score -= where  # type: ignore[union-attr]
            continue
        j, in_part, chosen = back[j]
        chosen.score -= where  # type: ignore[union-attr]
        parts.append(chosen)  # type: ignore[arg-type]
    return parts[::-1]


def _runner_up(back: Back, bp: list[float], bs: list[float], where: float) -> Parse:
    """When `continuous` wins: the best parse with parts (a negative score), the
    alternative its confidence is measured against; none when no part was possible."""
    k = len(bp) - 1
    ends = [(bp[j] - (where if j < k else 0.0), j) for j in range(1, k + 1)]
    score, j = max(ends, default=(-math.inf, 0))
    if score == -math.inf:
        return Parse()
    if j < k:
        back[j][2].score -= where  # type: ignore[union-attr]
    return Parse(_trace(back, bp, bs, j, True, where), score)


def _with_extras(parse: Parse, stretches: list[Stretch], mo: Moments, vbase: float) -> Parse:
    """Add up to MAX_EXTRAS lone efforts that score on their own (`_extra`; vbase as
    in `parse_reps`)."""
    used = {(r.start, r.end) for r in parse.reps}
    main = [r for p in parse.parts if p.kind in ("set", "ladder") for r in p.reps]
    if not main:
        return parse
    v_main = float(np.median([r.speed for r in main]))
    n_main = float(np.median([r.moving_s for r in main]))
    inside = {i for i, s in enumerate(stretches) if (s.start, s.end) in used}
    scored = sorted(
        (
            (_extra(s, v_main, n_main, mo, vbase) - _place(i, inside, stretches, parse), s)
            for i, s in enumerate(stretches)
            if i not in inside
        ),
        key=lambda x: -x[0],
    )
    extras = [Part("extra", [s], sc) for sc, s in scored[:MAX_EXTRAS] if sc > 0]
    if not extras:
        return parse
    parts = sorted(parse.parts + extras, key=lambda p: p.reps[0].start)
    return Parse(parts, parse.score + sum(e.score for e in extras))


def _place(i: int, inside: set[int], stretches: list[Stretch], parse: Parse) -> float:
    """Nats of the place of an extra effort, candidate i (`inside`: the candidates in
    the parse's parts): the boundaries it adds to the parse's layout in `parse_reps`'
    own code, log(k + 1) each: its start, unless it meets the end of a part (whose
    boundary before a skipped candidate it takes over), and its end, unless it runs to
    the last candidate or meets a part. A parse that skips a trailing effort has paid
    its boundary already, and the one that reads the same set at a threshold where the
    effort is no candidate pays none: counting the place again would charge it twice.
    The other code of the same place, which candidate it is or the side of a set it
    follows like one more rep (`_where`), is used where it is cheaper (an effort amid
    skipped candidates, two boundaries)."""
    where = math.log(len(stretches) + 1)
    start = 0.0 if i - 1 in inside else where
    end = 0.0 if i + 1 == len(stretches) or i + 1 in inside else where
    return min(start + end, _where(stretches[i], parse, where))


def _where(rep: Stretch, parse: Parse, anywhere: float) -> float:
    """Nats of an extra effort's place: `anywhere` among the candidates, or log 2 when
    it is one more rep right before or after a set (or ladder), as long as its reps,
    after a recovery as long as theirs (`_within`): the place is predicted, only the
    side is sent."""
    for p in parse.parts:
        if p.kind not in ("set", "ladder"):
            continue
        gaps = [b.start - a.end for a, b in itertools.pairwise(p.reps)]
        gap = (
            rep.start - p.reps[-1].end if rep.start >= p.reps[-1].end else p.reps[0].start - rep.end
        )
        lengths = [r.moving_s for r in p.reps]
        if _within(gap, gaps) and _within(rep.moving_s, lengths):
            return min(anywhere, math.log(2.0))
    return anywhere


def _within(x: float, values: Sequence[float]) -> bool:
    """Whether x lies in the range of `values`, widened by the factor NEXT_GAP."""
    return min(values) / NEXT_GAP <= x <= max(values) * NEXT_GAP
