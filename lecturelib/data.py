"""The data shipped with the collection, loaded from data/ and checked by SHA-256.

Nothing is downloaded: every file lives in the repository's ``data/`` folder
(see data/README.md for sources and licences), and every loader compares
the file's SHA-256 with the table below before reading it, so a damaged or
edited file fails loudly instead of giving subtly different numbers.

- :func:`load_digits`: 1,797 handwritten digits, 8 x 8 pixels (the UCI
  optical-recognition test set), with a fixed, seeded, stratified
  train/test split.
- :func:`load_image` and :func:`list_images`: three photographs for the
  edge-detection notebook.

The folder is found next to the package (``<repository>/data``), or inside
it (``lecturelib/_data``, where the wheel of the in-browser site carries the
files: see scripts/build_lite.py); set the environment variable
``LECTURELIB_DATA`` to read it from somewhere else.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._checks import as_int
from ._png import read_png

# File name -> SHA-256 of its bytes. data/README.md lists the same digests.
CHECKSUMS = {
    "digits.csv.gz": "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
    "astronaut.png": "275b1fa036b16907cf39f61f427504c58748e19ddf1e3fd04aa05868329de0dd",
    "camera.png": "60f5b56f4528d9853efe8ee4dc42ef32f48463e656fd3b8bb7f902a9a60c1fce",
    "coffee.png": "721d5b710a4ff9358a384c8226c998126cb47557b409a08b2224fdd5643e5605",
    "corpus/tiny_corpus.txt": "4184ecd09b1417a5ab2c1d7ae3fae841731a6d7a16f34445f1c19dcb9706a641",
}

IMAGES = {
    "astronaut": "colour, 256 x 256: astronaut Eileen Collins (NASA, public domain)",
    "camera": "grey, 256 x 256: a photographer with a camera on a tripod (CC0)",
    "coffee": "colour, 200 x 300: a cup of espresso on a saucer (CC0)",
}

DIGITS_MAX_VALUE = 16  # each pixel counts the "on" pixels of a 4 x 4 block: 0..16
SPLITS = ("train", "test", "all")

# ITU-R BT.709 luma weights: how bright red, green and blue look to the eye.
LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


class DataChecksumError(ValueError):
    """A shipped data file does not have the SHA-256 recorded in lecturelib.data."""


class Digits(NamedTuple):
    """Images (N, 1, 8, 8) in [0, 1] and labels (N,) in 0..9; unpacks as a pair."""

    images: np.ndarray
    labels: np.ndarray


def data_dir() -> Path:
    """The folder holding the shipped data files."""
    override = os.environ.get("LECTURELIB_DATA")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent
    packaged = package / "_data"  # only in a wheel built by scripts/build_lite.py
    if packaged.is_dir():
        return packaged
    return package.parent / "data"


def sha256(path) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def verified_path(name: str, root=None) -> Path:
    """Path of the shipped file ``name`` after checking its SHA-256.

    ``root``: the folder to look in (default :func:`data_dir`). Raises
    FileNotFoundError when the file is missing and :class:`DataChecksumError`
    when its bytes differ from the ones recorded in ``CHECKSUMS``.
    """
    if name not in CHECKSUMS:
        raise ValueError(f"name must be one of {sorted(CHECKSUMS)}, got {name!r}")
    path = Path(root if root is not None else data_dir()) / name
    if not path.is_file():
        raise FileNotFoundError(
            f"data file {name} is missing from {path.parent}: it ships with the repository "
            "(restore it with git, or point LECTURELIB_DATA at the data folder)"
        )
    digest = sha256(path)
    if digest != CHECKSUMS[name]:
        raise DataChecksumError(
            f"data file {path} is damaged or was changed: its SHA-256 is {digest}, "
            f"expected {CHECKSUMS[name]} (restore it with git)"
        )
    return path


# --- handwritten digits -------------------------------------------------------------------


def load_digits(split="train", test_fraction=0.2, seed=0, dtype=np.float64, root=None) -> Digits:
    """The UCI 8 x 8 handwritten digits, split into train and test sets.

    split: "train", "test" or "all" (all 1,797 in file order). The split is
    stratified and fixed by ``seed``: within every digit class a seeded
    random ``test_fraction`` of the images (rounded) goes to the test set,
    so both sets have nearly the same share of each digit; each set is in
    file order. With the defaults the train set has 1,438 images and the
    test set 359.

    Returns :class:`Digits` ``(images, labels)``: images (N, 1, 8, 8) of
    ``dtype`` with values in [0, 1] (the 0..16 counts divided by 16),
    labels (N,) int64.

    >>> images, labels = load_digits("train")
    >>> images.shape, labels.shape, float(images.max())
    ((1438, 1, 8, 8), (1438,), 1.0)
    >>> len(load_digits("test").labels), np.bincount(load_digits("test").labels)
    (359, array([36, 36, 35, 37, 36, 36, 36, 36, 35, 36]))
    """
    if split not in SPLITS:
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, int | float):
        raise TypeError(f"test_fraction must be a number in (0, 1), got {test_fraction!r}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    seed = as_int(seed, "seed", 0)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")

    table = np.loadtxt(verified_path("digits.csv.gz", root), delimiter=",", dtype=np.int64)
    pixels, labels = table[:, :-1], table[:, -1]
    if split != "all":
        in_test = _stratified_test_mask(labels, test_fraction, seed)
        keep = in_test if split == "test" else ~in_test
        pixels, labels = pixels[keep], labels[keep]
    images = (pixels / DIGITS_MAX_VALUE).astype(dtype).reshape(-1, 1, 8, 8)
    return Digits(images, labels)


def _stratified_test_mask(labels: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask: a seeded random ``test_fraction`` of every class is True."""
    rng = np.random.default_rng(seed)
    in_test = np.zeros(labels.shape, dtype=bool)
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        count = round(test_fraction * members.size)
        in_test[rng.choice(members, size=count, replace=False)] = True
    return in_test


# --- photographs ---------------------------------------------------------------------------


def list_images() -> list[str]:
    """Names of the shipped photographs, for :func:`load_image`.

    >>> list_images()
    ['astronaut', 'camera', 'coffee']
    """
    return sorted(IMAGES)


def load_image(name, grey=True, dtype=np.float64, root=None) -> np.ndarray:
    """One of the shipped photographs as floats in [0, 1].

    name: one of :func:`list_images`. grey=True returns (H, W): colour
    photographs are turned into brightness with the BT.709 weights
    0.2126 R + 0.7152 G + 0.0722 B. grey=False returns (H, W, 3) RGB (a grey
    photograph is repeated in all three channels).

    >>> load_image("camera").shape, load_image("coffee", grey=False).shape
    ((256, 256), (200, 300, 3))
    >>> image = load_image("astronaut")
    >>> image.dtype, bool(0 <= image.min() and image.max() <= 1)
    (dtype('float64'), True)
    """
    if name not in IMAGES:
        raise ValueError(f"name must be one of {list_images()}, got {name!r}")
    if not isinstance(grey, bool | np.bool_):
        raise TypeError(f"grey must be True or False, got {grey!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    # 8-bit samples to [0, 1], rounded to float32 first (as image libraries read PNGs)
    samples = read_png(verified_path(f"{name}.png", root))
    pixels = (samples.astype(np.float32) / np.float32(255)).astype(np.float64)
    if pixels.ndim == 3:
        pixels = pixels[..., :3]  # drop an alpha channel, if any
    if grey and pixels.ndim == 3:
        pixels = pixels @ LUMA_WEIGHTS
    elif not grey and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return np.clip(pixels, 0.0, 1.0).astype(dtype)


__all__ = [
    "CHECKSUMS",
    "IMAGES",
    "DataChecksumError",
    "Digits",
    "data_dir",
    "sha256",
    "verified_path",
    "load_digits",
    "list_images",
    "load_image",
]
