"""Test-wide settings, shared by unit tests, doctests and nbval kernels."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))
import kernels  # noqa: E402

# Progress bars print wall-clock rates, which would make notebook outputs differ
# between runs; kernels started by nbval and the notebook checks inherit this.
os.environ["LECTURELIB_PROGRESS"] = "0"
# One BLAS thread, as scripts/notebooks.py executes the saved notebooks: small
# matrix products run faster, and round-off matches the saved outputs.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"


def pytest_configure(config):
    np.set_printoptions(legacy=False)
    # nbval's kernels on socket files, not TCP ports another process can take
    # while the kernel starts (scripts/kernels.py says why).
    kernels.use_for_nbval()


@pytest.fixture(scope="module")
def one_torch_thread():
    """PyTorch on one thread: small convolutions run far slower with competing threads."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
