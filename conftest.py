"""Test-wide settings, shared by unit tests, doctests and nbval kernels."""

import os

import numpy as np

# Progress bars print wall-clock rates, which would make notebook outputs differ
# between runs; kernels started by nbval and the notebook checks inherit this.
os.environ["LECTURELIB_PROGRESS"] = "0"


def pytest_configure(config):
    np.set_printoptions(legacy=False)
