"""Rebuild the shipped data files from the PyPI wheels they come from.

Nothing in the collection runs this: the files it writes are committed, and
lecturelib.data checks their SHA-256. It records where every byte came from,
so anyone can rebuild and compare. Usage (from the repository root):

    pip download --no-deps -d /tmp/wheels scikit-learn==1.9.1 scikit-image==0.26.0
    python data/make_data.py /tmp/wheels/scikit_learn-*.whl /tmp/wheels/scikit_image-*.whl

- digits.csv.gz: copied byte for byte from scikit-learn's wheel
  (sklearn/datasets/data/digits.csv.gz, the UCI optical digits, CC BY 4.0).
- astronaut.png, camera.png, coffee.png: from scikit-image's wheel
  (skimage/data/), shrunk by averaging 2 x 2 blocks of pixels. Their licences
  (public domain and CC0) are given in skimage.data's docstrings and in
  data/README.md.
"""

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
IMAGES = {"astronaut": "RGB", "camera": "L", "coffee": "RGB"}


def shrink_by_two(pixels: np.ndarray) -> np.ndarray:
    """Average non-overlapping 2 x 2 blocks of a uint8 (H, W) or (H, W, 3) image."""
    h, w = pixels.shape[0] // 2 * 2, pixels.shape[1] // 2 * 2
    blocks = pixels[:h, :w].astype(np.float64)
    blocks = blocks.reshape(h // 2, 2, w // 2, 2, *pixels.shape[2:])
    return np.round(blocks.mean(axis=(1, 3))).astype(np.uint8)


def main(sklearn_wheel: str, skimage_wheel: str) -> None:
    with zipfile.ZipFile(sklearn_wheel) as wheel:
        (HERE / "digits.csv.gz").write_bytes(wheel.read("sklearn/datasets/data/digits.csv.gz"))
    with zipfile.ZipFile(skimage_wheel) as wheel:
        for name, mode in IMAGES.items():
            original = Image.open(io.BytesIO(wheel.read(f"skimage/data/{name}.png")))
            pixels = shrink_by_two(np.asarray(original.convert(mode)))
            Image.fromarray(pixels, mode).save(HERE / f"{name}.png", optimize=True)
    for name in ["digits.csv.gz", *(f"{n}.png" for n in IMAGES)]:
        digest = hashlib.sha256((HERE / name).read_bytes()).hexdigest()
        print(f"{name:16s} {digest}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
