"""`reward-server eval` as a user runs it: in-process, against a real server, resumed, and with bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.support.eval_runs import read_jsonl, run_eval, sample, write_jsonl
from tests.support.serve_process import ServeProcess, serve_process

KEY = "e" * 32


# p1: 3 samples, 2 correct, majority "1" (correct). p2: 2 samples without ids, 1 correct, tie → "3" (wrong).
ROWS: list[dict[str, Any]] = [
    {"id": "p1-0", "group": "p1", "completion": sample("1"), "task": {"type": "math", "answer": "1"}},
    {"id": "p1-1", "group": "p1", "completion": sample("2"), "task": {"type": "math", "answer": "1"}},
    {"id": "p1-2", "group": "p1", "completion": sample("1"), "task": {"type": "math", "answer": "1"}},
    {"group": "p2", "completion": sample("3", think=False), "task": {"type": "math", "answer": "4"}},
    {"group": "p2", "completion": sample("4"), "task": {"type": "math", "answer": "4"}},
]


def check_expected_summary(summary: dict[str, Any]) -> None:
    assert summary["rows"] == 5 and summary["errors"] == 0
    assert summary["components"]["accuracy"]["mean"] == pytest.approx(3 / 5)
    assert summary["components"]["format"]["mean"] == pytest.approx(4 / 5)
    assert summary["groups"] == 2
    assert summary["pass_at_k"]["1"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert summary["pass_at_k"]["2"] == 1.0
    assert summary["maj_at_n"] == pytest.approx(0.5)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_in_process_eval_scores_summarizes_and_reports(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out, report = tmp_path / "out.jsonl", tmp_path / "report.html"
    proc = run_eval(source, "--output", out, "--report", report)
    assert proc.returncode == 0, proc.stderr
    rows = read_jsonl(out)
    assert [(r["id"], r["line"], r["group"]) for r in rows] == [
        ("p1-0", 1, "p1"),
        ("p1-1", 2, "p1"),
        ("p1-2", 3, "p1"),
        (None, 4, "p2"),
        (None, 5, "p2"),
    ]
    assert [r["reward"] for r in rows] == [2.0, 1.0, 2.0, 0.0, 2.0]
    assert rows[1]["details"]["accuracy"]["status"] == "wrong"
    assert rows[1]["details"]["accuracy"]["extracted"] == "2"
    check_expected_summary(json.loads((tmp_path / "out.summary.json").read_text()))
    # The table on stdout carries the same numbers.
    assert "pass@1" in proc.stdout and "0.5833" in proc.stdout and "maj@n" in proc.stdout

    page = report.read_text()
    parser = _Tags()
    parser.feed(page)
    svgs = [attrs for tag, attrs in parser.tags if tag == "svg"]
    assert len(svgs) == 3  # reward, accuracy, format
    # Self-contained: nothing is fetched from anywhere.
    assert not [attrs for tag, attrs in parser.tags if tag in ("script", "link", "img", "iframe")]
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert ">p1<" in page and ">p2<" in page


def test_eval_reports_the_k_values_asked_for(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "out.jsonl"
    proc = run_eval(source, "--output", out, "--k", "3,1,8")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert list(summary["pass_at_k"]) == ["1", "3"]  # p1 (2 of 3 correct) alone has 3 samples
    assert summary["pass_at_k"]["3"] == 1.0
    assert "pass@8" in proc.stdout and "no group has 8 graded samples" in proc.stdout
    bad = run_eval(source, "--output", out, "--k", "1,x")
    assert bad.returncode == 2 and "positive integers separated by commas" in bad.stderr


def test_a_resumed_run_scores_only_the_missing_rows(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    first = run_eval(write_jsonl(tmp_path / "in.jsonl", ROWS[:2]), "--output", out)
    assert first.returncode == 0, first.stderr
    # Simulate a run killed mid-write: a torn last line must be dropped and that row redone.
    with out.open("a") as handle:
        handle.write('{"id": "p1-2", "line": 3, "rew')
    second = run_eval(write_jsonl(tmp_path / "in.jsonl", ROWS), "--output", out)
    assert second.returncode == 0, second.stderr
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert (summary["resumed"], summary["scored_now"]) == (2, 3)
    check_expected_summary(summary)
    assert sorted(r["line"] for r in read_jsonl(out)) == [1, 2, 3, 4, 5]
    third = run_eval(tmp_path / "in.jsonl", "--output", out)
    assert third.returncode == 0
    assert json.loads((tmp_path / "out.summary.json").read_text())["scored_now"] == 0
    assert len(read_jsonl(out)) == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"completion": "x"}\n{"completion": 5}\n', "in.jsonl:2: completion"),
        ('{"completion": "x", "task": {"type": "math"}}\n', "in.jsonl:1: task.math.answer"),
        ("not json\n", "in.jsonl:1"),
        ('{"id": 1, "completion": "x"}\n{"id": 1, "completion": "y"}\n', "id 1 repeats line 1"),
    ],
)
def test_bad_input_names_the_line_and_field_before_scoring(
    tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(content)
    proc = run_eval(source, "--output", tmp_path / "out.jsonl")
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    with serve_process(log, env={"REWARD_SERVER_API_KEYS": KEY}) as server:
        yield server


def test_eval_through_a_running_service(tmp_path: Path, keyed_server: ServeProcess) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "out.jsonl"
    proc = run_eval(
        source,
        "--output",
        out,
        "--url",
        keyed_server.url,
        "--batch-size",
        "2",
        env={"REWARD_SERVER_API_KEY": KEY},
    )
    assert proc.returncode == 0, proc.stderr
    check_expected_summary(json.loads((tmp_path / "out.summary.json").read_text()))
    assert sorted(r["line"] for r in read_jsonl(out)) == [1, 2, 3, 4, 5]


def test_eval_weights_apply_to_every_row(tmp_path: Path, keyed_server: ServeProcess) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ROWS[:2])
    out = tmp_path / "out.jsonl"
    args = ["--url", keyed_server.url, "--rewards", "accuracy=1,format=0", "--api-key", KEY]
    assert run_eval(source, "--output", out, *args).returncode == 0
    assert [r["reward"] for r in read_jsonl(out)] == [1.0, 0.0]


def test_a_refused_request_stops_the_run_with_the_servers_reason(
    tmp_path: Path, keyed_server: ServeProcess
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ROWS[:1])
    proc = run_eval(
        source, "--output", tmp_path / "out.jsonl", "--url", keyed_server.url, "--api-key", "w" * 20
    )
    assert proc.returncode == 2
    assert "401" in proc.stderr and "invalid API key" in proc.stderr
