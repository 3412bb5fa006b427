"""Multiple-choice completions in the styles models write, with the letter a careful grader reads.

Each case: (name, completion, letters, options or None, expected letter or None). None means the
completion commits to no single letter (no answer, a hedge, an unfinished think block): it scores 0
whatever the gold. Written after the output styles of R1 distills (think block, then a bold or boxed
answer), Qwen 2.5/3 (`\\boxed{C}`, "The answer is (C)."), Llama 3 MMLU/GPQA prompts ("The best answer
is C."), simple-evals ("Answer: C"), MMLU-Pro CoT ("the answer is (I)", ten options A-J).
"""

from __future__ import annotations

ABCD = "ABCD"
A_TO_J = "ABCDEFGHIJ"
CAPITALS = {"A": "Rome", "B": "Madrid", "C": "Paris", "D": "Berlin"}
CELL = {
    "A": "Ribosome",
    "B": "Golgi apparatus",
    "C": "Mitochondrion",
    "D": "Nucleus",
}

R1_REASONING = (
    "<think>\nOkay, so the question asks which city is the capital of France. Option A is Rome, "
    "that's Italy. B is Madrid, Spain. Hmm, D is Berlin, which is Germany. So it must be C, Paris. "
    "Wait, let me double-check: yes, Paris is the capital of France.\n</think>\n\n"
)
LONG_THINK = (
    "<think>\nLet me think about each organelle. The ribosome (A) makes proteins. The Golgi (B) "
    "packages them. I think the mitochondrion produces ATP through oxidative phosphorylation, so C "
    "looks right. The nucleus (D) stores DNA. Could it be A? No.\n</think>\n"
)

CASES: list[tuple[str, str, str, dict[str, str] | None, str | None]] = [
    # --- R1-style: think block, then the answer
    (
        "r1 bold answer",
        R1_REASONING + "The capital of France is Paris.\n\n**Answer: C**",
        ABCD,
        CAPITALS,
        "C",
    ),
    ("r1 boxed", R1_REASONING + "The capital of France is Paris.\n\n\\boxed{C}", ABCD, CAPITALS, "C"),
    ("r1 boxed text", R1_REASONING + "**Final Answer**\n\\[\n\\boxed{\\text{C}}\n\\]", ABCD, CAPITALS, "C"),
    ("r1 boxed letter and text", R1_REASONING + "\\boxed{C. \\text{Paris}}", ABCD, CAPITALS, "C"),
    ("r1 boxed option text", R1_REASONING + "The answer is $\\boxed{\\text{Paris}}$.", ABCD, CAPITALS, "C"),
    (
        "r1 correct answer bold letter and text",
        R1_REASONING + "The correct answer is **C) Paris**.\n\n**Explanation:** Rome is the capital "
        "of Italy (A is incorrect), Madrid of Spain (B is wrong) and Berlin of Germany.",
        ABCD,
        CAPITALS,
        "C",
    ),
    ("r1 wrong letter", R1_REASONING + "**Answer: B**", ABCD, CAPITALS, "B"),
    (
        "r1 unfinished think",
        "<think>\nThe capital of France... option C is Paris, so the answer is C",
        ABCD,
        CAPITALS,
        None,
    ),
    ("r1 think only mentions", "<think>The answer is C.</think>\n\nI am not sure.", ABCD, CAPITALS, None),
    ("long think then heading", LONG_THINK + "### Final Answer\nC) Mitochondrion", ABCD, CELL, "C"),
    ("long think then option text", LONG_THINK + "\nMitochondrion", ABCD, CELL, "C"),
    ("long think then bare letter", LONG_THINK + "\nC", ABCD, CELL, "C"),
    ("long think then (C)", LONG_THINK + "\n(C)", ABCD, CELL, "C"),
    ("answer block", "<think>ATP is made in mitochondria.</think>\n<answer>C</answer>", ABCD, CELL, "C"),
    (
        "answer block text",
        "<think>ATP is made in mitochondria.</think>\n<answer>Mitochondrion</answer>",
        ABCD,
        CELL,
        "C",
    ),
    (
        "answer blocks disagree",
        "<think>ATP</think>\n<answer>A</answer>\n<answer>C</answer>",
        ABCD,
        CELL,
        None,
    ),
    # --- Qwen styles
    (
        "qwen boxed sentence",
        "To determine the organelle, recall that cellular respiration occurs in the mitochondria.\n\n"
        "Therefore, the answer is \\(\\boxed{C}\\).",
        ABCD,
        CELL,
        "C",
    ),
    ("qwen answer is (C)", "Mitochondria produce most ATP. The answer is (C).", ABCD, CELL, "C"),
    (
        "qwen final answer line",
        "Step 1: ATP synthesis happens via oxidative phosphorylation.\nStep 2: That is in the "
        "mitochondrion.\n\nFinal Answer: C",
        ABCD,
        CELL,
        "C",
    ),
    (
        "qwen math style hedge",
        "It is likely the mitochondrion but could be the nucleus.\n\n\\boxed{C} or \\boxed{D}",
        ABCD,
        CELL,
        None,
    ),
    ("qwen boxed two letters", "Both seem plausible. \\boxed{A, C}", ABCD, CELL, None),
    # --- Llama 3 MMLU / GPQA prompt styles
    (
        "llama best answer is",
        "Mitochondria are known as the powerhouse of the cell because they produce ATP.\n\n"
        "The best answer is C.",
        ABCD,
        CELL,
        "C",
    ),
    (
        "llama best answer no period",
        "## Step 1: Recall the role of each organelle\nRibosomes synthesize proteins.\n\n"
        "## Step 2: Identify ATP production\nATP is made in mitochondria.\n\n"
        "The final answer is: $\\boxed{C}$",
        ABCD,
        CELL,
        "C",
    ),
    (
        "llama answer then explanation of others",
        "**Answer:** C) Mitochondrion\n\n**Explanation:** A is incorrect because ribosomes make "
        "proteins. B is wrong: the Golgi apparatus packages proteins. D is not correct either.",
        ABCD,
        CELL,
        "C",
    ),
    # --- simple-evals / OpenAI styles
    (
        "simple-evals Answer:",
        "ATP synthase sits in the inner mitochondrial membrane.\n\nAnswer: C",
        ABCD,
        CELL,
        "C",
    ),
    ("simple-evals bold", "ATP synthase sits in the inner membrane.\n\n**Answer: C**", ABCD, CELL, "C"),
    ("ANSWER caps", "Reasoning: ATP production.\nANSWER: C", ABCD, CELL, "C"),
    ("answer colon text", "ATP is produced there.\n\nAnswer: Mitochondrion", ABCD, CELL, "C"),
    ("answer dollar letter", "Answer: $C$", ABCD, CELL, "C"),
    # --- MMLU-Pro CoT, ten options A-J
    (
        "mmlu-pro answer is (I)",
        "Let's think step by step. The reaction is exothermic, so options A through H do not fit. "
        "Option J describes an endothermic process. Only option I matches. the answer is (I)",
        A_TO_J,
        None,
        "I",
    ),
    (
        "mmlu-pro I think prose",
        "Let's think step by step. I think the enthalpy decreases, so I recall that the answer is (B).",
        A_TO_J,
        None,
        "B",
    ),
    ("mmlu-pro J boxed", "The velocity is 12 m/s, which is option J.\n\n\\boxed{J}", A_TO_J, None, "J"),
    # --- GPQA styles
    (
        "gpqa correct answer is (B)",
        "The product of the Diels-Alder reaction has endo stereochemistry. The correct answer is (B).",
        ABCD,
        None,
        "B",
    ),
    ("gpqa option is correct", "Working through the spin states, option D is correct.", ABCD, None, "D"),
    ("stated best", "After comparing the energies, (A) is the best answer.", ABCD, None, "A"),
    # --- self-correction and retraction
    (
        "corrected answer",
        "The answer is A.\n\nWait, Rome is the capital of Italy, not France. Let me reconsider. Paris "
        "is the capital of France, so the answer is C.",
        ABCD,
        CAPITALS,
        "C",
    ),
    ("retracted last", "Answer: B\n\nWait, that's wrong.", ABCD, CAPITALS, None),
    ("negated others", "The answer is C, not A or B.", ABCD, CAPITALS, "C"),
    ("for sure", "The answer is for sure D, it can't be A or B", ABCD, None, "D"),
    # --- hedges
    ("either or", "It's either B or D.", ABCD, None, None),
    ("answer is A or C", "I can't decide. The answer is A or C.", ABCD, None, None),
    ("letter and text disagree", "The answer is C) Rome.", ABCD, CAPITALS, None),
    ("two boxes adjacent", "\\boxed{A}, \\boxed{C}", ABCD, None, None),
    # --- letters in prose must not count
    ("article A", "A good choice is the one that mentions the capital city.", ABCD, None, None),
    (
        "pronoun I with ten options",
        "I think Paris is right but I'm not sure which letter.",
        A_TO_J,
        None,
        None,
    ),
    ("letter inside word", "The answer is Carbon dioxide.", ABCD, None, None),
    (
        "enumeration only",
        "A) Rome - Italy\nB) Madrid - Spain\nC) Paris - France\nD) Berlin - Germany",
        ABCD,
        CAPITALS,
        None,
    ),
    (
        "analysis without a verdict",
        "Let's analyze each option:\n\nA) Rome: capital of Italy.\nB) Madrid: capital of Spain.\n"
        "C) Paris: capital of France.\nD) Berlin: capital of Germany.",
        ABCD,
        CAPITALS,
        None,
    ),
    ("quoted wrong box", "A common mistake is \\boxed{A}. The answer is Paris.", ABCD, CAPITALS, "C"),
    ("no answer", "I don't know.", ABCD, CAPITALS, None),
    # --- the whole answer is the letter
    ("bare letter", "C", ABCD, None, "C"),
    ("bare letter dot", "C.", ABCD, None, "C"),
    ("bold letter", "**C**", ABCD, None, "C"),
    (
        "letter then explanation",
        "D. It cannot be A or B, since those are in Italy and Spain.",
        ABCD,
        None,
        "D",
    ),
    ("bare article A alone", "A", ABCD, None, "A"),
    ("letter outside the set", "E", ABCD, None, None),
    ("option text alone", "Paris", ABCD, CAPITALS, "C"),
    ("option text with period", "Paris.", ABCD, CAPITALS, "C"),
]
