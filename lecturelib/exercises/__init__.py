"""Exercises: the student writes the operation, :func:`check` says what is wrong.

Every exercise is a function the student writes in a notebook (the same
arguments as the matching lecturelib function, so the library's own function
is a valid answer). ``check("conv2d_forward", conv2d_forward)`` runs it on
the lecture's worked example and on seeded random cases, compares it with a
readable reference and, when an answer is wrong, names the typical mistake
that produces it ("the kernel is flipped ..."). The result shows itself as a
small box in a notebook.

- ``part1``: notebooks 01-11 (convolutional networks, why depth, pretraining);
- ``part2``: notebooks 12-18 (recurrent networks and regularisation).

``python -m lecturelib.exercises`` lists the exercises;
``python -m lecturelib.exercises --mistakes`` prints which typical wrong
implementation each checker catches.

>>> import numpy as np, lecturelib
>>> check("conv2d_forward", lecturelib.conv2d).passed
True
"""

import importlib
import importlib.util

from . import part1  # noqa: F401 (importing a part registers its checkers)
from ._core import (
    REGISTRY,
    WRONG,
    CheckResult,
    Comparisons,
    Exercise,
    Mistake,
    NotAttempted,
    WrongImplementation,
    call_student,
    call_student_in_place,
    check,
    compare,
    is_stub,
    list_exercises,
    mistake_table,
    register,
    wrong_implementation,
)

# part2 (notebooks 12-18) is written on another branch: imported when its file is there.
if importlib.util.find_spec(f"{__name__}.part2") is not None:
    importlib.import_module(f"{__name__}.part2")


def load_wrong_implementations() -> list[WrongImplementation]:
    """Import the catalogues of typical wrong answers (``wrong_part*``) and return them.

    They are kept out of the normal import: only the tests and the mistakes
    table need them.
    """
    for part in ("wrong_part1", "wrong_part2"):
        if importlib.util.find_spec(f"{__name__}.{part}") is not None:
            importlib.import_module(f"{__name__}.{part}")
    return list(WRONG)


__all__ = [
    "CheckResult",
    "Comparisons",
    "Exercise",
    "Mistake",
    "NotAttempted",
    "REGISTRY",
    "WRONG",
    "WrongImplementation",
    "call_student",
    "call_student_in_place",
    "check",
    "compare",
    "is_stub",
    "list_exercises",
    "load_wrong_implementations",
    "mistake_table",
    "register",
    "wrong_implementation",
]
