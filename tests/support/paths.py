"""Where the repository and the shared test data live, wherever a test or benchmark file sits."""

from __future__ import annotations

from pathlib import Path

SUPPORT_DIR = Path(__file__).resolve().parent
REPO_ROOT = SUPPORT_DIR.parents[1]
LANGUAGE_CLAUSES = SUPPORT_DIR / "data" / "language_clauses.tsv"  # tab-separated: language, clause
MATH_CORPUS_DIR = SUPPORT_DIR / "math_corpus"  # corpus.jsonl and the generate.py that writes it
