"""Old import path of `rewards.math.exact_forms` and `rewards.math.exact_lists` (still imported)."""

from reward_server.rewards.math.exact_forms import ExactForm, Ratio, forms_equal, parse_exact
from reward_server.rewards.math.exact_lists import (
    exact_lists_equal,
    exact_matrices_equal,
    parse_exact_list,
    parse_exact_matrix,
)

__all__ = [
    "ExactForm",
    "Ratio",
    "exact_lists_equal",
    "exact_matrices_equal",
    "forms_equal",
    "parse_exact",
    "parse_exact_list",
    "parse_exact_matrix",
]
