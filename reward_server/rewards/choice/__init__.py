"""The multiple-choice reward (`task.type = "choice"`): the letter a completion commits to, against the gold.

Modules: `letters.py` (the task's letter set and option texts), `reading.py` (a letter token or an
option text in a short piece of answer text), `prose.py` (a second letter offered after the answer, a
Roman-numeral heading "I."), `extraction.py` (where the answer is, tiers and the
hedge rule), `checker.py` (`check_choice`, `ChoiceChecker`).
"""

from reward_server.rewards.choice.checker import ChoiceChecker, check_choice
from reward_server.rewards.choice.extraction import ChoiceExtraction, extract_choice

__all__ = ["ChoiceChecker", "ChoiceExtraction", "check_choice", "extract_choice"]
