"""The eval report's review sections and `reward-server eval --compare`, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reward_server import __version__
from reward_server.eval_review import flagged_samples, uniform_groups
from tests.support.eval_runs import read_jsonl, run_eval, sample, write_jsonl

# g-solved: every sample right (same reward: GRPO learns nothing); g-mixed: one right, one wrong;
# g-error: an accuracy weight on an item without a task is an error for that item.
ROWS: list[dict[str, Any]] = [
    {"id": "s0", "group": "g-solved", "completion": sample("7"), "task": {"type": "math", "answer": "7"}},
    {"id": "s1", "group": "g-solved", "completion": sample("7"), "task": {"type": "math", "answer": "7"}},
    {"id": "m0", "group": "g-mixed", "completion": sample("5"), "task": {"type": "math", "answer": "5"}},
    {"id": "m1", "group": "g-mixed", "completion": sample("6"), "task": {"type": "math", "answer": "5"}},
    {"id": "e0", "group": "g-error", "completion": sample("1")},
]


def test_uniform_groups_count_groups_whose_samples_all_got_one_reward() -> None:
    rows = [
        {"group": "a", "reward": 1.0},
        {"group": "a", "reward": 1.0},
        {"group": "b", "reward": 1.0},
        {"group": "b", "reward": 0.0},
        {"group": "c", "reward": 0.0},  # one scored sample: not a group GRPO compares within
        {"group": "c", "reward": None},
    ]
    assert uniform_groups(rows) == {"groups": 2, "uniform": 1, "share": 0.5, "names": ["a"]}


def test_flagged_samples_are_the_wrong_and_the_errored_with_their_reason() -> None:
    rows = [
        {"id": "ok", "scores": {"accuracy": 1.0}, "details": {"accuracy": {"status": "correct"}}},
        {
            "id": "w",
            "scores": {"accuracy": 0.5},
            "details": {"accuracy": {"verdicts": ["accepted", "wrong_answer"]}},
        },
        {"id": "x", "reward": None, "scores": {}, "details": {}, "error": "accuracy: item has no task"},
    ]
    flagged = flagged_samples(rows)
    assert [(f["id"], f["kind"]) for f in flagged] == [("w", "wrong"), ("x", "error")]
    assert flagged[0]["reason"] == "verdicts: accepted, wrong_answer"
    assert flagged[1]["reason"] == "accuracy: item has no task"


def test_report_lists_what_to_look_at_and_compare_shows_two_runs(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    report = tmp_path / "a.html"
    proc = run_eval(source, "-o", first, "--rewards", "accuracy=1,format=0.5", "--report", report)
    assert proc.returncode == 0, proc.stderr
    error_row = next(r for r in read_jsonl(first) if r["id"] == "e0")
    assert error_row["error"]

    summary = json.loads((tmp_path / "a.summary.json").read_text())
    assert summary["uniform_groups"] == {"groups": 2, "uniform": 1, "share": 0.5, "names": ["g-solved"]}
    assert summary["run"]["weights"] == {"accuracy": 1.0, "format": 0.5}
    assert summary["run"]["version"] == __version__ and summary["run"]["scored_by"] == "in process"
    assert summary["run"]["date"].endswith("Z")

    page = report.read_text()
    assert "Wrong and errored samples" in page and "1 wrong, 1 errored." in page
    assert "<td>m1</td><td>g-mixed</td><td>wrong</td><td>0.0000</td><td>6</td><td>wrong</td>" in page
    assert "<td>e0</td>" in page and escape_free(error_row["error"]) in page
    assert "1 of 2 groups (50.0%) gave every sample the same reward" in page and "g-solved" in page
    assert f"<td>{__version__}</td>" in page and "accuracy=1, format=0.5" in page

    proc = run_eval(source, "-o", second, "--rewards", "accuracy=1,format=0")
    assert proc.returncode == 0, proc.stderr
    compared = run_eval("--compare", first, tmp_path / "b.summary.json")
    assert compared.returncode == 0, compared.stderr
    lines = compared.stdout.splitlines()
    assert lines[0].startswith(f"A: {first}") and "accuracy=1,format=0.5" in lines[0]
    assert lines[1].startswith(f"B: {tmp_path / 'b.summary.json'}") and "accuracy=1,format=0" in lines[1]
    mean_reward = next(line for line in lines if line.startswith("mean reward"))
    # A: (1.5 + 1.5 + 1.5 + 0.5) / 4 = 1.25; B: (1 + 1 + 1 + 0) / 4 = 0.75
    assert mean_reward.split()[2:] == ["1.2500", "0.7500", "-0.5000"]
    assert any(line.startswith("groups with one reward for all") for line in lines)


def escape_free(text: str) -> str:
    from html import escape

    return escape(text)


def test_compare_with_a_missing_file_is_one_line(tmp_path: Path) -> None:
    proc = run_eval("--compare", tmp_path / "a.summary.json", tmp_path / "b.summary.json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip() == f"reward-server eval: --compare: {tmp_path / 'a.summary.json'}: no such file"
    )
