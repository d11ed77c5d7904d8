"""bench/interval_trace.py: the first stage that loses a session's truth."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import ROOT, shared_path

sys.path.insert(0, str(ROOT / "bench"))
import interval_accuracy as ia
import interval_trace as it

TRUE = [(100, 160), (220, 280), (340, 400)]
PIECES = [(0, 100), (100, 160), (160, 220), (220, 280), (280, 340), (340, 400), (400, 900)]


def test_right_label_is_ok_whatever_the_stages() -> None:
    assert it.first_stage(TRUE, [], [], [], label_ok=True) == "ok"


def test_a_rep_no_run_of_pieces_covers_is_lost_in_the_pieces() -> None:
    # the middle rep lies inside one long piece (0-900 s): no run of pieces matches it
    pieces = [(0, 160), (160, 900)]
    assert it.first_stage(TRUE, pieces, [TRUE], TRUE, label_ok=False) == "pieces"


def test_reps_no_threshold_separates_are_lost_in_the_candidates() -> None:
    # every threshold joins the last two reps into one stretch
    cands = [[(100, 160), (220, 400)], [(100, 400)]]
    assert it.first_stage(TRUE, PIECES, cands, [], label_ok=False) == "candidates"


def test_candidates_that_hold_the_reps_but_another_reading_is_grammar() -> None:
    cands = [[(100, 160)], [(30, 60), *TRUE]]
    assert it.first_stage(TRUE, PIECES, cands, [], label_ok=False) == "grammar"
    # one rep more than the truth (a 4th effort joined the set) is grammar too
    extra = [*TRUE, (460, 520)]
    assert it.first_stage(TRUE, PIECES, cands, extra, label_ok=False) == "grammar"


def test_right_reps_with_a_wrong_label_is_the_label() -> None:
    chosen = [(102, 161), (221, 283), (338, 401)]
    assert it.first_stage(TRUE, PIECES, [chosen], chosen, label_ok=False) == "label"


def test_a_continuous_run_read_as_reps_is_grammar() -> None:
    assert it.first_stage([], PIECES, [[(100, 160)]], [(100, 160)], label_ok=False) == "grammar"


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        # 3x2min/1min: reps found, recoveries written in metres (3x400m/200m)
        ("fit/running-more/peterhighgrove__21712197807_ACTIVITY.fit", "label"),
        # 2x1.5km/2min: both reps are candidates, `continuous` outscores the set of two
        ("fit/running-more/FJMacdonald__Morning_Run.fit", "grammar"),
        ("fit/running/fnardmann__10024712104_ACTIVITY.fit", "ok"),
    ],
)
def test_stage_of_real_sessions(file: str, expected: str) -> None:
    shared_path(file)
    session = next(s for s in ia.labelled_sessions() if s["file"] == file)
    where, _, _ = it.stage(ia.with_frames([session])[0])
    assert where == expected


def test_oracle_reads_the_labelled_reps_alone() -> None:
    # the grammar reads fnardmann's six labelled 400s as the set; FJMacdonald's two
    # labelled 1.5 km reps still lose to `continuous` (the grammar, not the pieces)
    good = "fit/running/fnardmann__10024712104_ACTIVITY.fit"
    lost = "fit/running-more/FJMacdonald__Morning_Run.fit"
    shared_path(good)
    by_file = {s["file"]: s for s in ia.labelled_sessions()}
    for file, positive in ((good, True), (lost, False)):
        s = ia.with_frames([by_file[file]])[0]
        tr = it._track(s)
        score, label = it.oracle(s, tr, it.np.concatenate([[0.0], it.np.cumsum(tr.v)]))
        assert (score > 0) is positive
        assert label.startswith("6x400m") if positive else label.startswith("2x")


def test_a_missed_rep_is_lost_where_no_stage_holds_it() -> None:
    # the middle rep lies inside one piece: lost in the pieces
    assert it.rep_stage((220, 280), [(0, 160), (160, 900)], [])[0] == "pieces"
    # pieces hold it, but every threshold joins it with the next rep
    assert it.rep_stage((220, 280), PIECES, [[(220, 400)]])[0] == "candidates"
    # a candidate holds it, the chosen reading left it out
    where, iou = it.rep_stage((220, 280), PIECES, [[(221, 281)]])
    assert where == "grammar"
    assert iou == pytest.approx(59 / 61)


def test_missed_and_extra_reps_of_real_sessions() -> None:
    # XiangLi00 12069799515: the closing 200 m after the 800s is a candidate the grammar
    # leaves out (shorter than half a rep); coros 476322784270647601: a 7th effort joins
    # the set of six
    lone = "fit/running-more/XiangLi00__12069799515_ACTIVITY.fit"
    seventh = "history/coros-road-runner/476322784270647601.fit"
    shared_path(lone)
    by_file = {s["file"]: s for s in ia.labelled_sessions()}
    (missed,) = it.missed_reps(ia.with_frames([by_file[lone]])[0])
    assert " missed " in missed and "grammar" in missed and "4870-4922" in missed
    (extra,) = it.missed_reps(ia.with_frames([by_file[seventh]])[0])
    assert " extra " in extra and "2051-2253" in extra
