"""The machinery behind the exercises: a registry of checkers and :func:`check`.

A checker is a small function that runs the student's function on a few
cases (the lecture's worked example first, then seeded random ones) and
compares every answer with the readable reference. When an answer is wrong
it does not stop at "wrong": it computes what the typical wrong
implementations would have returned on the same case and, when one of them
matches the student's answer, names that mistake.

The pieces a checker is built from:

- :class:`Mistake`: raised with the sentence the student will read;
- :class:`NotAttempted`: raised when the function is still the stub;
- :func:`call_student`: runs the student's code safely (copies of the
  arguments, exceptions turned into a :class:`Mistake` message);
- :func:`compare`: type, shape and values, then the named diagnoses;
- :func:`register`: puts the checker, the reference and the notebook it
  belongs to into :data:`REGISTRY`.

:func:`check` ties them together and always returns a :class:`CheckResult`,
never a traceback from the student's code.
"""

from __future__ import annotations

import ast
import copy
import html
import inspect
import numbers
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

STATUSES = ("passed", "mistake", "not attempted")

# Text label, symbol, border colour, background colour for each status: the
# label and the symbol carry the meaning, the colour only repeats it.
_LOOK = {
    "passed": ("Passed", "\u2714", "#1b7f3b", "#e8f5ec"),
    "not attempted": ("Not attempted yet", "\u2026", "#9a6700", "#fff6e0"),
    "mistake": ("Not yet right", "\u2718", "#b3261e", "#fdecea"),
}


@dataclass
class CheckResult:
    """What :func:`check` found: shown as a small box in a notebook.

    exercise_id: the exercise checked; passed: True when every case agreed;
    message: one or two sentences for the student; status: "passed",
    "mistake" or "not attempted".
    """

    exercise_id: str
    passed: bool
    message: str
    status: str

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def label(self) -> str:
        """The status in words: "Passed", "Not attempted yet" or "Not yet right"."""
        return _LOOK[self.status][0]

    def __str__(self) -> str:
        return f"[{self.label}] {self.exercise_id}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        label, symbol, border, background = _LOOK[self.status]
        message = html.escape(self.message).replace("\n", "<br>")
        return (
            f'<div role="status" class="lecturelib-check lecturelib-check-'
            f'{self.status.replace(" ", "-")}" style="border: 2px solid {border}; '
            f"border-left-width: 8px; background: {background}; color: #1a1a1a; "
            f'padding: 0.5em 0.8em; margin: 0.3em 0; border-radius: 4px; max-width: 52em;">'
            f'<strong style="color: {border};">{symbol} {label}</strong> '
            f"<code>{html.escape(self.exercise_id)}</code><br>{message}</div>"
        )


class Mistake(Exception):
    """Raised inside a checker; its text is the message the student reads."""


class NotAttempted(Exception):
    """Raised when the student's function is still the stub."""


@dataclass(frozen=True)
class Exercise:
    """One registered exercise.

    id: the name used with :func:`check`; notebook: the notebook's file stem
    (e.g. "03_convolution_operation"); title: a short heading; reference: the
    readable reference solution (same signature as the student's function);
    checker: ``checker(student) -> None``, raising :class:`Mistake`.
    """

    id: str
    notebook: str
    title: str
    reference: Callable
    checker: Callable


REGISTRY: dict[str, Exercise] = {}


def register(exercise_id: str, notebook: str, title: str, reference: Callable):
    """Decorator: register ``checker(student)`` under ``exercise_id``.

    >>> @register("doctest_double", "00_start_here", "Double it", lambda x: 2 * x)
    ... def _check_double(student):
    ...     compare(call_student(student, 3), 6, "double(3)", "the example")
    >>> check("doctest_double", lambda x: x + x).passed
    True
    >>> print(check("doctest_double", lambda x: x * x))
    [Not yet right] doctest_double: double(3) is wrong on the example: expected 6, got 9.
    >>> del REGISTRY["doctest_double"]
    """
    if not isinstance(exercise_id, str) or not exercise_id.isidentifier():
        raise ValueError(f"exercise_id must be a Python identifier, got {exercise_id!r}")
    if not callable(reference):
        raise TypeError(f"reference must be callable, got {type(reference).__name__}")

    def decorate(checker):
        if exercise_id in REGISTRY:
            raise ValueError(f"exercise id {exercise_id!r} is registered twice")
        REGISTRY[exercise_id] = Exercise(exercise_id, notebook, title, reference, checker)
        return checker

    return decorate


def list_exercises(notebook: str | None = None) -> list[Exercise]:
    """The registered exercises in notebook order (registration order within one).

    ``notebook``: a file stem such as "06_pooling", or just its number "06",
    to list one notebook's exercises.
    """
    exercises = sorted(REGISTRY.values(), key=lambda e: e.notebook)  # stable sort
    if notebook is not None:
        exercises = [
            e for e in exercises if e.notebook == notebook or e.notebook.split("_")[0] == notebook
        ]
    return exercises


# --- running the student's code ---------------------------------------------------------


def is_stub(function) -> bool:
    """True when ``function``'s body is only a docstring and ``...``, ``pass``
    or ``raise NotImplementedError`` (the stub as handed out).

    >>> def todo(x):
    ...     '''Doubles x.'''
    ...     ...  # your code here
    >>> is_stub(todo), is_stub(lambda x: 2 * x)
    (True, False)
    """
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return False
    definitions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(definitions) != 1:
        return False
    body = definitions[0].body
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            if statement.value.value is Ellipsis or isinstance(statement.value.value, str):
                continue
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def _describe_exception(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def call_student_in_place(function, *args, **kwargs):
    """Call the student's function on deep copies of the arguments.

    Returns ``(result, args, kwargs)``: the result and the copies the function
    received, for exercises whose function works in place (the copies show
    what it changed). A ``None`` result is returned as it is.
    NotImplementedError raises :class:`NotAttempted`; any other exception
    raises :class:`Mistake` naming it (no traceback).
    """
    args = copy.deepcopy(args)
    kwargs = copy.deepcopy(kwargs)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = function(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted(
            "your function raises NotImplementedError: it is not written yet"
        ) from None
    except RecursionError:
        raise Mistake("your function raised RecursionError: does it call itself?") from None
    except Exception as error:  # the student's code: report it, never a traceback
        hint = _hint(error)
        raise Mistake(
            f"your function raised {_describe_exception(error)}" + (f" ({hint})" if hint else "")
        ) from None
    return result, args, kwargs


def _hint(error: Exception) -> str:
    """A short hint for the errors students meet most, or ""."""
    text = str(error)
    if isinstance(error, IndexError):
        return "an index ran past the end of an array: check the output size, padding and stride"
    if isinstance(error, ValueError) and "broadcast" in text:
        return "two arrays' shapes do not fit together: print the shapes of what you combine"
    if isinstance(error, TypeError) and "argument" in text:
        return "your function must accept the same arguments as the stub"
    if isinstance(error, NameError):
        return "a name is not defined: a typo, or a cell above not run yet?"
    return ""


def call_student(function, *args, **kwargs):
    """Call the student's function on deep copies of the arguments; return its result.

    A ``None`` result or NotImplementedError raises :class:`NotAttempted`;
    any other exception raises :class:`Mistake` ("your function raised
    ValueError: ...") without a traceback.
    """
    result, _, _ = call_student_in_place(function, *args, **kwargs)
    if result is None:
        raise NotAttempted("your function returned None: it is not written yet (or lacks a return)")
    parts = result if isinstance(result, tuple | list) else (result,)
    if any(part is Ellipsis for part in parts):
        raise Mistake(
            "your function returned ... (Ellipsis): a ... placeholder is still in your code; "
            "replace it with the computation"
        )
    return result


# --- comparing an answer with the reference ---------------------------------------------


def _type_name(value) -> str:
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return f"{type(value).__name__} {_short(value)}"


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number_text(value) -> str:
    if isinstance(value, numbers.Integral | np.integer):
        return str(int(value))
    if not isinstance(value, numbers.Real | np.floating):
        return _short(value)
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{value:.1f}"
    return f"{value:.6g}"


def _as_numeric_array(value):
    """``value`` as a float or int numpy array, or None when it is not numeric."""
    if isinstance(value, str | bytes | dict) or value is None:
        return None
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        return None
    return array


def _close(got, expected, rtol, atol) -> bool:
    """Same shape and values (NaN where the expected answer has NaN)."""
    if isinstance(expected, tuple | list):
        return (
            isinstance(got, tuple | list)
            and len(got) == len(expected)
            and all(_close(g, e, rtol, atol) for g, e in zip(got, expected))
        )
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and set(got) == set(expected)
            and all(_close(got[k], expected[k], rtol, atol) for k in expected)
        )
    if expected is None:
        return got is None
    got_array = _as_numeric_array(got)
    expected_array = np.asarray(expected)
    if got_array is None or got_array.shape != expected_array.shape:
        return False
    return bool(
        np.allclose(
            got_array.astype(np.float64),
            expected_array.astype(np.float64),
            rtol=rtol,
            atol=atol,
            equal_nan=True,
        )
    )


def _diagnose(got, diagnoses, rtol, atol, shape_note=""):
    """Raise the first diagnosis whose candidate matches ``got``."""
    for message, candidate in diagnoses:
        if callable(candidate):
            try:
                candidate = candidate()
            except Exception:  # a candidate that does not exist on this case
                continue
        if candidate is None:
            continue
        if _close(got, candidate, rtol, atol):
            raise Mistake(message + shape_note)


def compare(got, expected, what, case, *, rtol=1e-7, atol=1e-9, diagnoses=()):
    """Compare the student's ``got`` with the reference's ``expected``.

    what: names the value ("the output y", "grad_x"); case: names the case
    ("the lecture's worked example", "random case 3: ..."). Checks the type
    (a number, an array, a tuple, None), the shape, then the values with
    ``np.allclose(rtol, atol)``. On a mismatch each ``(message, candidate)``
    of ``diagnoses`` is tried in order (candidate: what a known wrong
    implementation returns on this case, or a function computing it) and the
    first that matches raises ``Mistake(message)``; otherwise a generic
    :class:`Mistake` names the case, the first differing index, the expected
    and the received value.
    """
    _COUNTER[0] += 1
    integer_expected = isinstance(expected, numbers.Integral | np.integer) and not isinstance(
        expected, bool
    )
    if _close(got, expected, rtol, atol):
        if integer_expected and not isinstance(got, numbers.Integral | np.integer):
            raise Mistake(
                f"{what} should be a whole number (int), but your function returned "
                f"{_type_name(got)}: use // (floor division) or int()"
            )
        return
    where = f"{what} is wrong on {case}"
    # tuples (several results, e.g. the three gradients): compare item by item
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list):
            raise Mistake(
                f"{what}: your function should return {len(expected)} values (a tuple), "
                f"but it returned {_type_name(got)}."
            )
        if len(got) != len(expected):
            raise Mistake(
                f"{what}: your function should return {len(expected)} values, "
                f"but it returned {len(got)}."
            )
        _diagnose(got, diagnoses, rtol, atol)
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, f"{what}[{i}]", case, rtol=rtol, atol=atol)
        return
    # dictionaries (named parameters): the same keys, then key by key
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            raise Mistake(
                f"{what} should be a dict with the keys {sorted(expected)}, but your function "
                f"returned {_type_name(got)}."
            )
        if set(got) != set(expected):
            raise Mistake(
                f"{what} should have the keys {sorted(expected)}, yours has {sorted(got)}."
            )
        _diagnose(got, diagnoses, rtol, atol)
        for key in expected:
            compare(got[key], expected[key], f"{what}[{key!r}]", case, rtol=rtol, atol=atol)
        return
    if expected is None:
        _diagnose(got, diagnoses, rtol, atol)
        raise Mistake(f"{where}: expected None, got {_type_name(got)}.")
    # scalars: integers must come back as integers
    if np.ndim(expected) == 0 and not isinstance(expected, np.ndarray):
        is_integer = isinstance(expected, numbers.Integral | np.integer)
        if isinstance(got, bool) or not isinstance(got, numbers.Number | np.generic):
            _diagnose(got, diagnoses, rtol, atol)
            if _as_numeric_array(got) is None or np.ndim(got) != 0:
                raise Mistake(
                    f"{what} should be a number, but your function returned {_type_name(got)}."
                )
        _diagnose(got, diagnoses, rtol, atol)
        if is_integer and isinstance(got, numbers.Real | np.floating) and np.isfinite(got):
            if float(got) == int(expected):
                raise Mistake(
                    f"{what} should be a whole number (int), but your function returned the "
                    f"float {_number_text(got)}: use // (floor division) or int()."
                )
        raise Mistake(f"{where}: expected {_number_text(expected)}, got {_number_text(got)}.")
    # arrays
    got_array = _as_numeric_array(got)
    expected = np.asarray(expected)
    if got_array is None:
        raise Mistake(
            f"{what} should be a numpy array of shape {expected.shape}, but your function "
            f"returned {_type_name(got)}."
        )
    if got_array.shape != expected.shape:
        _diagnose(
            got_array,
            diagnoses,
            rtol,
            atol,
            shape_note=f" (shape of {what}: yours {got_array.shape}, expected {expected.shape})",
        )
        raise Mistake(f"{where}: its shape is {got_array.shape}, expected {expected.shape}.")
    _diagnose(got_array, diagnoses, rtol, atol)
    got64 = got_array.astype(np.float64)
    expected64 = expected.astype(np.float64)
    if np.allclose(got64, expected64, rtol=1e-4, atol=1e-6, equal_nan=True):
        raise Mistake(
            f"{what} is right to about 5 digits only (on {case}): that is float32 precision; "
            "the inputs are float64, so compute in float64 (create arrays with the input's "
            "dtype, e.g. np.zeros(shape, dtype=x.dtype), and do not convert to float32)"
        )
    bad = ~np.isclose(got64, expected64, rtol=rtol, atol=atol, equal_nan=True)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    count = int(bad.sum())
    index_text = str(index[0]) if len(index) == 1 else str(index)
    raise Mistake(
        f"{where}: at index {index_text} expected {_number_text(expected64[index])}, "
        f"got {_number_text(got64[index])} ({count} of {bad.size} values differ)."
    )


_COUNTER = [0]  # comparisons made by the checker that is running


class Comparisons:
    """Collect a checker's comparisons and name the mistake that explains all of them.

    Used as ``with Comparisons() as checks:`` around a checker's loop over its
    cases, with ``checks.add(...)`` (the arguments of :func:`compare`) in
    place of :func:`compare`. On leaving the block, the answers are checked in
    order; when some are wrong, the first diagnosis whose candidate matches
    the student's answer on *every* wrong case is named (one case can fit
    two mistakes: padding 1 counted once and a missing "+ 1" give the same
    number, the next case tells them apart). When none fits them all, the
    first wrong case is reported as :func:`compare` would. A Mistake raised
    inside the block (the student's code failing on a later case) is
    reported only when every earlier answer was right.
    """

    def __init__(self):
        self.entries = []

    def __enter__(self):
        return self

    def add(self, got, expected, what, case, *, rtol=1e-7, atol=1e-9, diagnoses=()):
        """Record one comparison (checked when the block ends)."""
        self.entries.append((got, expected, what, case, rtol, atol, list(diagnoses)))

    def finish(self):
        """Raise :class:`Mistake` for the recorded comparisons that fail."""
        failing = []
        for got, expected, what, case, rtol, atol, diagnoses in self.entries:
            try:
                compare(got, expected, what, case, rtol=rtol, atol=atol)
            except Mistake:
                failing.append((got, expected, what, case, rtol, atol, diagnoses))
        if not failing:
            return
        cache = {}

        def candidates(index, entry):
            if index not in cache:
                values = []
                for message, candidate in entry[6]:
                    if callable(candidate):
                        try:
                            candidate = candidate()
                        except Exception:
                            candidate = None
                    values.append((message, candidate))
                cache[index] = values
            return cache[index]

        def explains(message):
            for index, entry in enumerate(failing):
                got, _, _, _, rtol, atol, _ = entry
                if not any(
                    m == message and c is not None and _close(got, c, rtol, atol)
                    for m, c in candidates(index, entry)
                ):
                    return False
            return True

        for message, _ in candidates(0, failing[0]):
            if explains(message):
                got, expected = failing[0][0], failing[0][1]
                note = ""
                if isinstance(expected, np.ndarray) and np.shape(got) != expected.shape:
                    note = f" (shape: yours {np.shape(got)}, expected {expected.shape})"
                raise Mistake(message + note)
        got, expected, what, case, rtol, atol, diagnoses = failing[0]
        compare(got, expected, what, case, rtol=rtol, atol=atol, diagnoses=diagnoses)

    def __exit__(self, kind, error, traceback):
        if kind is None or issubclass(kind, Mistake):
            self.finish()  # an earlier wrong answer is reported first
        return False


# --- check --------------------------------------------------------------------------------


def check(exercise_id: str, function) -> CheckResult:
    """Check the student's ``function`` for exercise ``exercise_id``.

    Returns a :class:`CheckResult` (a box in a notebook). An unknown id raises
    ValueError listing the ids; everything that goes wrong in the student's
    code becomes a message in the result, never a traceback.
    """
    if exercise_id not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"unknown exercise id {exercise_id!r}; the exercises are: {known}")
    exercise = REGISTRY[exercise_id]
    if not callable(function):
        return CheckResult(
            exercise_id,
            False,
            f"check needs your function itself, e.g. check({exercise_id!r}, {exercise_id}), "
            f"not {_type_name(function)}.",
            "mistake",
        )
    if is_stub(function):
        return CheckResult(
            exercise_id,
            False,
            "Replace the ... with your code, then run this cell again.",
            "not attempted",
        )
    _COUNTER[0] = 0
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            success = exercise.checker(function)
    except NotAttempted as reason:
        # The box already says "Not attempted yet": the message says why.
        reason = _sentence(str(reason))
        return CheckResult(exercise_id, False, reason[:1].upper() + reason[1:], "not attempted")
    except Mistake as mistake:
        return CheckResult(exercise_id, False, _sentence(str(mistake)), "mistake")
    except Exception as error:  # e.g. an answer of a type the comparison could not handle
        return CheckResult(
            exercise_id,
            False,
            f"Checking stopped with {_describe_exception(error)}; look at what your "
            "function returns (type and shape).",
            "mistake",
        )
    if isinstance(success, str):
        message = success
    else:
        count = _COUNTER[0]
        message = (
            f"Your function agrees with the reference on all {count} checks "
            "(the lecture's example and random cases)."
        )
    return CheckResult(exercise_id, True, message, "passed")


def _sentence(text: str) -> str:
    """The message as a sentence: stripped, with a final full stop."""
    text = text.strip()
    if not text:
        return "Not yet right."
    return text if text.endswith((".", "!", "?")) else text + "."


# --- the catalogue of typical wrong implementations (for tests and the report) --------


@dataclass(frozen=True)
class WrongImplementation:
    """A typical wrong answer to an exercise, kept to test its checker.

    exercise_id: the exercise; mistake: the mistake in a few words (the row
    of the report's table); expect: a fragment the checker's message must
    contain (case-insensitive), i.e. the diagnosis by name; function: the
    wrong implementation itself.
    """

    exercise_id: str
    mistake: str
    expect: str
    function: Callable


WRONG: list[WrongImplementation] = []


def wrong_implementation(exercise_id: str, mistake: str, expect: str):
    """Decorator: add ``function`` to :data:`WRONG` as a typical wrong answer."""

    def decorate(function):
        WRONG.append(WrongImplementation(exercise_id, mistake, expect, function))
        return function

    return decorate


def mistake_table(exercise_ids=None) -> list[dict]:
    """Run every wrong implementation through its checker.

    Returns one dict per wrong implementation: id, notebook, mistake, expect,
    status, caught (rejected), named (the message contains ``expect``) and
    the message itself. ``exercise_ids`` limits the table to some exercises.
    """
    rows = []
    for wrong in WRONG:
        if exercise_ids is not None and wrong.exercise_id not in exercise_ids:
            continue
        result = check(wrong.exercise_id, wrong.function)
        rows.append(
            {
                "id": wrong.exercise_id,
                "notebook": REGISTRY[wrong.exercise_id].notebook,
                "mistake": wrong.mistake,
                "expect": wrong.expect,
                "status": result.status,
                "caught": not result.passed,
                "named": wrong.expect.lower() in result.message.lower(),
                "message": result.message,
            }
        )
    return rows
