"""The shipped data: checksums, the digits split, the photographs, the README table."""

import re
import shutil

import numpy as np
import pytest

from lecturelib.data import (
    CHECKSUMS,
    DataChecksumError,
    data_dir,
    list_images,
    load_digits,
    load_image,
    sha256,
    verified_path,
)


def test_every_shipped_file_matches_its_checksum():
    for name, digest in CHECKSUMS.items():
        assert sha256(data_dir() / name) == digest, name


def test_readme_lists_every_file_with_its_checksum():
    readme = (data_dir() / "README.md").read_text()
    for name, digest in CHECKSUMS.items():
        row = next((line for line in readme.splitlines() if f"`{name}`" in line), None)
        assert row is not None, f"{name} missing from data/README.md"
        assert digest in row, f"{name}: README digest differs from lecturelib.data.CHECKSUMS"
    assert "corpus/tiny_corpus.txt" in readme


def test_no_unlisted_files_in_data():
    documented = set(CHECKSUMS) | {"README.md", "make_data.py"}
    shipped = {p.name for p in data_dir().iterdir() if p.is_file()}
    assert shipped <= documented, f"undocumented data files: {sorted(shipped - documented)}"


@pytest.fixture
def tampered_copy(tmp_path):
    for name in CHECKSUMS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir() / name, tmp_path / name)
    return tmp_path


def test_tampered_digits_file_raises(tampered_copy):
    load_digits("all", root=tampered_copy)  # the faithful copy loads
    path = tampered_copy / "digits.csv.gz"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataChecksumError, match="digits.csv.gz is damaged or was changed"):
        load_digits(root=tampered_copy)


def test_tampered_image_raises(tampered_copy):
    path = tampered_copy / "camera.png"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DataChecksumError, match="SHA-256"):
        load_image("camera", root=tampered_copy)
    load_image("coffee", root=tampered_copy)  # the others are untouched


def test_missing_file_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="digits.csv.gz is missing"):
        load_digits(root=tmp_path)


def test_data_folder_can_be_moved_with_an_environment_variable(tampered_copy, monkeypatch):
    monkeypatch.setenv("LECTURELIB_DATA", str(tampered_copy))
    assert data_dir() == tampered_copy
    assert verified_path("astronaut.png").parent == tampered_copy


def test_digits_shapes_range_and_labels():
    images, labels = load_digits("all")
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))
    np.testing.assert_array_equal(labels[:10], np.arange(10))  # the file starts 0, 1, ..., 9
    # every value is a count of 0..16 "on" pixels, divided by 16
    np.testing.assert_array_equal(images * 16, np.round(images * 16))
    assert load_digits("test", dtype=np.float32).images.dtype == np.float32


def test_digits_split_is_stratified_disjoint_and_fixed():
    all_images, _ = load_digits("all")
    train_images, train_labels = load_digits("train")
    test_images, test_labels = load_digits("test")
    assert len(train_labels) + len(test_labels) == 1797
    assert len(test_labels) == 359
    shares = np.bincount(test_labels) / np.bincount(np.concatenate([train_labels, test_labels]))
    assert np.all(np.abs(shares - 0.2) < 0.01)
    # disjoint and complete: every image is in exactly one set
    key = lambda a: {row.tobytes() for row in a.reshape(len(a), -1)}  # noqa: E731
    assert key(train_images) | key(test_images) == key(all_images)
    # seeded: the same split every time, another one with another seed
    np.testing.assert_array_equal(load_digits("test").labels, test_labels)
    other = load_digits("test", seed=1)
    assert not np.array_equal(other.images, test_images)
    assert len(load_digits("test", test_fraction=0.5).labels) in range(890, 910)


def test_digits_argument_checks():
    with pytest.raises(ValueError, match="split must be 'train', 'test' or 'all'"):
        load_digits("validation")
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        load_digits(test_fraction=1.0)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        load_digits(dtype=np.int32)


def test_images_grey_and_colour():
    assert list_images() == ["astronaut", "camera", "coffee"]
    for name in list_images():
        grey = load_image(name)
        colour = load_image(name, grey=False)
        assert grey.ndim == 2 and colour.shape == (*grey.shape, 3)
        assert 0.0 <= grey.min() and grey.max() <= 1.0
        assert grey.std() > 0.1  # real photographs, not blank
        if name == "camera":
            np.testing.assert_array_equal(colour[..., 0], colour[..., 2])
        else:
            weights = np.array([0.2126, 0.7152, 0.0722])
            np.testing.assert_allclose(grey, colour @ weights, atol=1e-12)
    assert load_image("camera").shape == (256, 256)
    assert load_image("astronaut", grey=False).shape == (256, 256, 3)
    assert load_image("coffee", dtype=np.float32).dtype == np.float32


def test_image_argument_checks():
    with pytest.raises(ValueError, match=re.escape("name must be one of ['astronaut'")):
        load_image("lena")
    with pytest.raises(TypeError, match="grey must be True or False"):
        load_image("camera", grey="yes")


# --- the PNG reader (numpy and zlib only) --------------------------------------------------


@pytest.mark.parametrize("name", ["astronaut", "camera", "coffee"])
def test_the_png_reader_gives_the_pixels_matplotlib_reads(name):
    from matplotlib.image import imread

    from lecturelib._png import read_png

    path = verified_path(f"{name}.png")
    samples = read_png(path)
    assert samples.dtype == np.uint8
    np.testing.assert_array_equal(samples.astype(np.float32) / np.float32(255), imread(path))


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_the_png_reader_undoes_every_filter_on_random_pixels(tmp_path, mode):
    from PIL import Image

    from lecturelib._png import read_png

    rng = np.random.default_rng(len(mode))
    channels = len(mode)
    # smooth rows make the encoder pick every filter type; noise rows keep it honest
    smooth = np.cumsum(rng.integers(-3, 4, size=(37, 41, channels)), axis=1) % 256
    noise = rng.integers(0, 256, size=(37, 41, channels))
    pixels = np.where(np.arange(37)[:, None, None] % 3 == 0, noise, smooth).astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
    image.save(tmp_path / "x.png", optimize=True)
    read = read_png(tmp_path / "x.png")
    np.testing.assert_array_equal(read, np.asarray(Image.open(tmp_path / "x.png")))


def test_the_png_reader_refuses_what_it_cannot_read(tmp_path):
    from PIL import Image

    from lecturelib._png import read_png

    (tmp_path / "not.png").write_bytes(b"GIF89a")
    with pytest.raises(ValueError, match="is not a PNG file"):
        read_png(tmp_path / "not.png")
    Image.fromarray(np.full((4, 4), 300, dtype=np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(ValueError, match="only 8-bit, non-interlaced"):
        read_png(tmp_path / "deep.png")
