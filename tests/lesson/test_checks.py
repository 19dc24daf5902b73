import numpy as np
import pytest

from lecturelib._checks import as_array, as_generator, as_int, as_pair, result_dtype


def test_as_int_and_as_pair():
    assert as_int(np.int64(3), "stride", 1) == 3
    assert as_pair(2, "padding") == (2, 2)
    assert as_pair((1, 3), "stride", 1) == (1, 3)
    with pytest.raises(TypeError, match="stride must be an integer, got 1.5"):
        as_int(1.5, "stride")
    with pytest.raises(TypeError, match="stride must be an integer"):
        as_int(True, "stride")
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        as_pair(0, "stride", 1)
    with pytest.raises(ValueError, match=r"padding\[1\] must be >= 0"):
        as_pair((0, -1), "padding", 0)
    with pytest.raises(ValueError, match="rows, cols"):
        as_pair((1, 2, 3), "stride")


def test_as_array():
    assert as_array([[1, 2]], "x", 2).dtype == np.float64
    assert as_array(np.ones(2, np.float32), "x").dtype == np.float32
    with pytest.raises(ValueError, match="x must have 4 dimensions, got shape"):
        as_array(np.ones((2, 2)), "x", 4)
    with pytest.raises(TypeError, match="x must hold numbers"):
        as_array(["a"], "x")
    with pytest.raises(TypeError, match="must be real"):
        as_array([1j], "x")


def test_result_dtype_and_generators():
    assert result_dtype(np.ones(1, np.float32), np.ones(1, np.float32)) == np.float32
    assert result_dtype(np.ones(1, np.float32), np.ones(1)) == np.float64
    assert as_generator(5).integers(1000) == np.random.default_rng(5).integers(1000)
    with pytest.raises(ValueError, match="rng must be >= 0"):
        as_generator(-1)
