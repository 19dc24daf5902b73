"""lecturelib: the numpy code behind the deep-learning lecture notebooks.

Every forward and backward pass is written by hand in numpy, with PyTorch's
semantics (NCHW arrays, cross-correlation as "convolution", PyTorch's gate
order), so that a student can read how each operation really works and check
it against a framework. The public API is listed in the project's API notes;
each function's docstring gives its shapes and a small example.
"""

from ._checks import set_seed
from .grad import (
    check_gradient,
    clip_grad_norm,
    clip_grad_value,
    global_norm,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)

__version__ = "0.1.0"
