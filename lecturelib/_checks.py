"""Argument checks shared by every public function.

Each check raises ``TypeError`` or ``ValueError`` with a message that names
the argument and the rule it broke, so a student sees "stride must be >= 1,
got 0" rather than a numpy traceback from deep inside a computation.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_int(value, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as a Python int, rejecting floats, bools and strings."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_number(
    value,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    above: float | None = None,
    finite: bool = False,
) -> float:
    """Return a real number as a float, checking its range; bools and strings are refused.

    ``minimum``/``maximum`` are inclusive bounds, ``above`` an exclusive lower
    bound; ``finite`` also refuses infinities. NaN never passes a bound.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if finite and not np.isfinite(value):
        raise ValueError(f"{name} must be finite and >= {minimum or 0:g}, got {value}")
    if minimum is not None and maximum is not None:
        if not minimum <= value <= maximum:
            raise ValueError(f"{name} must be in [{minimum:g}, {maximum:g}], got {value}")
    elif minimum is not None and not value >= minimum:
        rule = "finite and >= " if finite else ">= "
        raise ValueError(f"{name} must be {rule}{minimum:g}, got {value}")
    if above is not None and not value > above:
        raise ValueError(f"{name} must be > {above:g}, got {value}")
    return value


def as_pair(value, name: str, minimum: int | None = None) -> tuple[int, int]:
    """Accept an int or a (rows, cols) pair and return a pair of ints."""
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a (rows, cols) pair, got {value!r}")
        return (as_int(value[0], f"{name}[0]", minimum), as_int(value[1], f"{name}[1]", minimum))
    single = as_int(value, name, minimum)
    return (single, single)


def as_flag(value, name: str) -> bool:
    """``value`` as a bool; numbers and strings are refused (``training=1`` is a typo)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a floating-point array of the given rank.

    float32 and float64 are kept; integers and bools become float64.
    """
    try:
        array = np.asarray(x)
    except Exception as error:  # ragged lists and similar
        raise TypeError(f"{name} must be array-like: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            wanted = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {wanted} dimensions, got shape {array.shape}")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return array


def check_same_shape(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {a.shape} but {b_name} has shape {b.shape}")


def result_dtype(*arrays) -> np.dtype:
    """float32 only when every floating input is float32, else float64."""
    dtypes = [a.dtype for a in arrays if a is not None]
    if dtypes and all(d == np.float32 for d in dtypes):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


_default_generator = np.random.default_rng(0)


def set_seed(seed: int) -> None:
    """Reseed the generator used when a function is called with ``rng=None``."""
    global _default_generator
    _default_generator = np.random.default_rng(as_int(seed, "seed", 0))


def as_generator(rng) -> np.random.Generator:
    """Accept a numpy Generator, an integer seed, or None.

    None means the package's own generator (seeded with 0 at import and by
    ``set_seed``), so a notebook re-run from the top gives the same numbers.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return _default_generator
    return np.random.default_rng(as_int(rng, "rng", 0))


def class_ids(ids, name: str, size: int) -> np.ndarray:
    """Integer ids (token or class indices) in [0, size), as an intp array."""
    array = np.asarray(ids)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"{name} must hold integer ids (token or class indices), got dtype {array.dtype}"
        )
    if array.size and (array.min() < 0 or array.max() >= size):
        raise ValueError(
            f"{name} must lie in [0, {size}), got values from {array.min()} to {array.max()}"
        )
    return array.astype(np.intp, copy=False)
