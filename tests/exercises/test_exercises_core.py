"""The exercise machinery: check() reports every outcome as a result, never a traceback."""

import numpy as np
import pytest

import lecturelib
from lecturelib.exercises import (
    REGISTRY,
    CheckResult,
    Mistake,
    NotAttempted,
    call_student,
    call_student_in_place,
    check,
    compare,
    is_stub,
    list_exercises,
)


def stub(x, w, b=None, stride=1, padding=0, dilation=1):
    """The stub as handed out: x (N, C, H, W), w (F, C, KH, KW)."""
    ...  # your code here


def stub_pass(x, w, b=None, stride=1, padding=0, dilation=1):
    pass


def stub_raise(x, w, b=None, stride=1, padding=0, dilation=1):
    """Not yet."""
    raise NotImplementedError


def forgot_return(x, w, b=None, stride=1, padding=0, dilation=1):
    y = lecturelib.conv2d(x, w, b, stride, padding, dilation)
    y = y + 0


def crashes(x, w, b=None, stride=1, padding=0, dilation=1):
    return x[99, 99, 99, 99]


def wrong_shape(x, w, b=None, stride=1, padding=0, dilation=1):
    return np.zeros((7, 7))


def returns_text(x, w, b=None, stride=1, padding=0, dilation=1):
    return "the answer"


def test_stubs_are_not_attempted():
    for function in (stub, stub_pass, stub_raise):
        assert is_stub(function)
        result = check("conv2d_forward", function)
        assert result.status == "not attempted"
        assert not result.passed
        assert result.message[0].isupper() and result.message.endswith(".")
        # The status is said once, by the label, in the text and in the box.
        assert str(result).count("Not attempted yet") == 1
        assert result._repr_html_().count("Not attempted yet") == 1


def test_a_missing_return_is_not_attempted():
    assert not is_stub(forgot_return)
    result = check("conv2d_forward", forgot_return)
    assert result.status == "not attempted"
    assert "returned None" in result.message


def test_an_exception_in_the_student_code_is_a_message():
    result = check("conv2d_forward", crashes)
    assert result.status == "mistake"
    assert "your function raised IndexError" in result.message
    assert "Traceback" not in result.message


def test_a_wrong_shape_names_both_shapes():
    result = check("conv2d_forward", wrong_shape)
    assert result.status == "mistake"
    assert "(7, 7)" in result.message and "(1, 1, 3, 3)" in result.message


def test_a_wrong_type_is_a_message():
    result = check("conv2d_forward", returns_text)
    assert result.status == "mistake"
    assert "numpy array" in result.message and "str" in result.message


def test_not_a_function():
    result = check("conv2d_forward", np.zeros(3))
    assert result.status == "mistake"
    assert "needs your function itself" in result.message


def test_unknown_id_lists_the_ids():
    with pytest.raises(ValueError, match="unknown exercise id 'conv3d'.*conv2d_forward"):
        check("conv3d", stub)


def test_passed_result_and_its_displays():
    result = check("conv2d_forward", lecturelib.conv2d)
    assert result.passed and result.status == "passed"
    assert isinstance(result, CheckResult)
    html = result._repr_html_()
    assert 'role="status"' in html and "Passed" in html
    assert str(result) == repr(result)
    assert str(result).startswith("[Passed] conv2d_forward")


def test_html_escapes_the_message():
    result = CheckResult("x", False, "a <b> & c", "mistake")
    html = result._repr_html_()
    assert "a &lt;b&gt; &amp; c" in html and "Not yet right" in html


def test_status_is_checked():
    with pytest.raises(ValueError, match="status"):
        CheckResult("x", False, "m", "failed")


def test_call_student_copies_the_arguments():
    x = np.ones(3)

    def changes(a):
        a[:] = 5
        return a

    assert call_student(changes, x).tolist() == [5, 5, 5]
    assert x.tolist() == [1, 1, 1]
    result, args, _ = call_student_in_place(lambda a: a.fill(2), x)
    assert result is None and args[0].tolist() == [2, 2, 2] and x.tolist() == [1, 1, 1]
    with pytest.raises(NotAttempted):
        call_student(lambda a: None, x)
    with pytest.raises(Mistake, match="your function raised KeyError: 'k'"):
        call_student(lambda a: {}["k"], x)


def test_compare_diagnoses_and_generic_message():
    expected = np.arange(6.0).reshape(2, 3)
    compare(expected.copy(), expected, "y", "case 1")
    flipped = expected[:, ::-1]
    with pytest.raises(Mistake, match="^flipped$"):
        compare(flipped, expected, "y", "case 1", diagnoses=[("flipped", flipped)])
    with pytest.raises(Mistake, match=r"y is wrong on case 1: at index \(0, 0\) expected 0.0"):
        compare(flipped, expected, "y", "case 1", diagnoses=[("other", expected + 1)])
    with pytest.raises(Mistake, match="too small"):
        compare(expected[:1], expected, "y", "case 1", diagnoses=[("too small", expected[:1])])
    with pytest.raises(Mistake, match="whole number"):
        compare(3.0, 3, "the size", "case 2")
    with pytest.raises(Mistake, match="expected 3, got 4"):
        compare(4, 3, "the size", "case 2")
    with pytest.raises(Mistake, match="2 values"):
        compare(expected, (expected, None), "the gradients", "case 3")
    compare((expected, None), (expected, None), "the gradients", "case 3")


def test_list_exercises_and_main(capsys):
    ids = [e.id for e in list_exercises()]
    assert set(ids) == set(REGISTRY)
    assert [e.id for e in list_exercises("03")] == [
        e.id for e in list_exercises("03_convolution_operation")
    ]
    from lecturelib.exercises.__main__ import main

    assert main([]) == 0
    out = capsys.readouterr().out
    assert "conv2d_forward" in out and "03_convolution_operation" in out


def test_a_float32_answer_is_named():
    def in_float32(x, w, b=None, stride=1, padding=0, dilation=1):
        return lecturelib.conv2d(
            x.astype(np.float32), w.astype(np.float32), b, stride, padding, dilation
        )

    result = check("conv2d_forward", in_float32)
    assert result.status == "mistake"
    assert "float32" in result.message


ODD_ANSWERS = {
    "a list": lambda *a, **k: [1, 2, 3],
    "a string": lambda *a, **k: "x",
    "a tuple of None": lambda *a, **k: (None, None, None),
    "NaN array": lambda *a, **k: np.full((1, 1, 3, 3), np.nan),
    "NaN": lambda *a, **k: float("nan"),
    "infinity": lambda *a, **k: float("inf"),
    "a complex number": lambda *a, **k: 1 + 2j,
    "an object array": lambda *a, **k: np.array([object()]),
    "a dict": lambda *a, **k: {"a": 1},
    "a bool": lambda *a, **k: True,
    "a ragged tuple": lambda *a, **k: ([1, 2], [3]),
    "a generator": lambda *a, **k: (i for i in range(3)),
    "no parameters": lambda: 1,
    "an empty array": lambda *a, **k: np.array([]),
    "a list of dicts": lambda *a, **k: [{"W": 1}],
}


@pytest.mark.parametrize("exercise_id", sorted(REGISTRY))
def test_odd_answers_give_a_message_not_a_crash(exercise_id):
    for name, function in ODD_ANSWERS.items():
        result = check(exercise_id, function)
        assert not result.passed, name
        assert "Checking stopped" not in result.message, (name, result.message)


def test_a_placeholder_left_in_the_code_is_named():
    def half_done(n, kernel_size, stride=1, padding=0, dilation=1):
        extent = ...
        return extent

    result = check("output_size", half_done)
    assert result.status == "mistake" and "placeholder" in result.message
