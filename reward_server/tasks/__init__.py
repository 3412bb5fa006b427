"""The rules of task shapes that the request models (`schemas`) check and the rewards use: the letter
set of a multiple-choice task, the instruction ids and arguments of an instruction-following task.
Below both `schemas` and `rewards`, importing nothing of ours, so neither imports the other's package."""
