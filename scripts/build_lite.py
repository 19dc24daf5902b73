"""Build the collection as a JupyterLite site: `make lite` (output in build/lite).

The site runs entirely in the browser (the Pyodide kernel, Python 3.14 in
WebAssembly) and needs no server: any static host will do. It holds

- every notebook with its saved outputs, and the data files, in the site's
  contents (the kernel sees them under /drive, with the notebook's folder as
  the working directory);
- Pyodide's core (from the npm package ``pyodide``) in static/pyodide/, with a
  rewritten pyodide-lock.json: the pure-Python wheels the kernel and
  lecturelib need are shipped in the site (fetched from PyPI at their
  Pyodide versions), lecturelib is built from this repository as a wheel
  (with the data files inside), ipywidgets and comm are added, and the
  compiled wheels that neither registry carries (numpy, matplotlib, pillow,
  kiwisolver, contourpy) are loaded from Pyodide's CDN, at the same addresses
  and hashes as the stock kernel uses;
- the widget front end (jupyterlab_widgets, from the build environment) and
  the JupyterLab settings of `make lab` (scripts/jupyter_overrides.json).

Because the kernel loads the packages a cell imports from that lock before
running the cell, ``import lecturelib`` works without a ``%pip`` cell.

Run with the build environment's Python (.venv-lite, see requirements-lite.txt):

    .venv-lite/bin/python scripts/build_lite.py [--output build/lite]

Downloads go to build/lite-cache/ and are reused: npm (Pyodide's core) and
PyPI (wheels) are the only places anything comes from.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
CACHE = BUILD / "lite-cache"

PYODIDE_VERSION = "314.0.6"
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full"
# The files of the npm package that make up Pyodide's runtime.
PYODIDE_CORE = [
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
]
# What the kernel installs while it starts (jupyterlite-pyodide-kernel's
# worker), and what lecturelib imports: their dependencies in Pyodide's lock
# are shipped when they are pure Python.
KERNEL_ROOTS = ["micropip", "ipython", "jedi", "traitlets", "packaging"]
LECTURELIB_DEPENDS = ["numpy", "matplotlib", "ipywidgets", "tqdm"]
# Packages Pyodide's lock lacks, with the lock entries the site adds for them.
# ipywidgets' own requirements on widgetsnbextension and jupyterlab_widgets
# are front-end packages: the kernel extension ships a stand-in for the first,
# and the second is the labextension already in the site.
COMM_VERSION = "0.2.3"
EXTRA_PACKAGES = {
    "comm": {"imports": ["comm"], "depends": ["traitlets"]},
    "ipywidgets": {"imports": ["ipywidgets"], "depends": ["comm", "ipython", "traitlets"]},
    "lecturelib": {"imports": ["lecturelib"], "depends": LECTURELIB_DEPENDS},
}
NOARCH = re.compile(r"-py[23.]*(py3)?-none-any\.whl$")


def log(message: str) -> None:
    print(f"[lite] {message}", flush=True)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned(requirements: Path, name: str) -> str:
    """The version ``name`` is pinned to (``name==X``) in a requirements file."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"\s*{re.escape(name)}\s*==\s*([^\s#;]+)", line, re.IGNORECASE)
        if match:
            return match.group(1)
    raise SystemExit(f"{requirements.name} does not pin {name}")


# --- Pyodide's core -------------------------------------------------------------------------


def fetch_pyodide() -> Path:
    """The unpacked npm package pyodide@PYODIDE_VERSION (fetched once with npm)."""
    unpacked = CACHE / f"pyodide-{PYODIDE_VERSION}"
    if (unpacked / "package" / "pyodide-lock.json").is_file():
        return unpacked / "package"
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch Pyodide's core (apt-get install npm)")
    tarball = CACHE / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.is_file():
        log(f"npm pack pyodide@{PYODIDE_VERSION}")
        subprocess.run(
            [npm, "pack", "--silent", f"pyodide@{PYODIDE_VERSION}"]
            + ["--pack-destination", str(CACHE)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    shutil.rmtree(unpacked, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="data")
    return unpacked / "package"


def closure(lock: dict, roots: list[str]) -> set[str]:
    """Normalised names of ``roots`` and everything they depend on in the lock."""
    by_name = {normalise(key): entry for key, entry in lock["packages"].items()}
    seen: set[str] = set()
    todo = [normalise(root) for root in roots]
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        todo += [normalise(dep) for dep in by_name[name]["depends"]]
    return seen


# --- wheels ---------------------------------------------------------------------------------


def download_wheels(specs: list[str]) -> Path:
    """Pure-Python wheels for Python 3.14 from PyPI into the cache (only the missing ones)."""
    folder = CACHE / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    have = {(normalise(p.name.split("-")[0]), p.name.split("-")[1]) for p in folder.glob("*.whl")}
    wanted = {spec: spec.split("==") for spec in specs}
    missing = [
        spec for spec, (name, version) in wanted.items() if (normalise(name), version) not in have
    ]
    if missing:
        log(f"pip download {len(missing)} wheels")
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                "--only-binary=:all:", "--python-version", "3.14", "--implementation", "py",
                "--abi", "none", "--platform", "any", "--dest", str(folder), *missing,
            ],
            check=True,
        )  # fmt: skip
    return folder


def wheel_for(folder: Path, name: str, version: str) -> Path:
    for path in folder.glob("*.whl"):
        parts = path.name.split("-")
        if normalise(parts[0]) == normalise(name) and parts[1] == version:
            return path
    raise SystemExit(f"no wheel for {name}=={version} in {folder}")


def build_lecturelib_wheel() -> Path:
    """lecturelib as a wheel, from a copy of the repository with data/ inside the package.

    lecturelib.data looks for ``lecturelib/_data`` first, so in the browser the
    loaders read (and checksum) the files from the installed package.
    """
    checksums = checksum_table()
    source = CACHE / "lecturelib-src"
    shutil.rmtree(source, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "lecturelib", source / "lecturelib", ignore=ignore)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, source / name)
    packaged = source / "lecturelib" / "_data"
    for name in checksums:
        (packaged / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / name, packaged / name)
    shutil.copy(ROOT / "data" / "README.md", packaged / "README.md")
    with open(source / "pyproject.toml", "a", encoding="utf-8") as pyproject:
        pyproject.write("\n[tool.setuptools.package-data]\n")
        pyproject.write('lecturelib = ["_data/*", "_data/*/*", "exercises/*.md"]\n')
    dist = CACHE / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
            "--no-build-isolation", "--wheel-dir", str(dist), str(source),
        ],
        check=True,
    )  # fmt: skip
    (wheel,) = dist.glob("lecturelib-*.whl")
    return wheel


def checksum_table() -> dict[str, str]:
    """lecturelib.data.CHECKSUMS, read from the source (this environment has no numpy)."""
    tree = ast.parse((ROOT / "lecturelib" / "data.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "CHECKSUMS" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise SystemExit("lecturelib/data.py has no CHECKSUMS table")


# --- the lock -------------------------------------------------------------------------------


def rewrite_lock(lock: dict, shipped: dict[str, Path]) -> dict:
    """Point every package at a shipped wheel (with its hash) or at Pyodide's CDN."""
    lock = json.loads(json.dumps(lock))
    for key, entry in lock["packages"].items():
        wheel = shipped.get(normalise(key))
        if wheel is not None:
            entry["file_name"] = wheel.name
            entry["sha256"] = sha256(wheel)
        else:
            entry["file_name"] = f"{PYODIDE_CDN}/{entry['file_name']}"
    for name, extra in EXTRA_PACKAGES.items():
        wheel = shipped[name]
        lock["packages"][name] = {
            "name": name,
            "version": wheel.name.split("-")[1],
            "file_name": wheel.name,
            "install_dir": "site",
            "sha256": sha256(wheel),
            "package_type": "package",
            "imports": extra["imports"],
            "depends": extra["depends"],
            "unvendored_tests": False,
        }
    return lock


# --- the site -------------------------------------------------------------------------------


def stage(lite_dir: Path, core: Path, shipped: dict[str, Path], lock: dict) -> None:
    shutil.rmtree(lite_dir, ignore_errors=True)
    pyodide = lite_dir / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    for name in PYODIDE_CORE:
        shutil.copy(core / name, pyodide / name)
    for wheel in shipped.values():
        shutil.copy(wheel, pyodide / wheel.name)
    (pyodide / "pyodide-lock.json").write_text(json.dumps(lock, indent=1), encoding="utf-8")

    files = lite_dir / "files"
    (files / "notebooks").mkdir(parents=True)
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(notebook, files / "notebooks" / notebook.name)
    shutil.copytree(ROOT / "data", files / "data", ignore=shutil.ignore_patterns("make_data.py"))

    shutil.copy(ROOT / "scripts" / "jupyter_overrides.json", lite_dir / "overrides.json")
    config = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Deep learning, by hand",
            "defaultKernelName": "python",
        },
    }
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


# Python's mimetypes calls digits.csv.gz "text/csv" (compressed), and the site's
# drive then hands the kernel the bytes decoded as text; a compressed type
# makes it pass them through unchanged.
COMPRESSED = {".gz": "application/gzip", ".bz2": "application/x-bzip2", ".xz": "application/x-xz"}


def fix_compressed_mimetypes(output: Path) -> None:
    for index in (output / "api" / "contents").rglob("all.json"):
        listing = json.loads(index.read_text(encoding="utf-8"))
        changed = False
        for entry in listing.get("content") or []:
            suffix = Path(entry["name"]).suffix
            if entry.get("type") == "file" and suffix in COMPRESSED:
                entry["mimetype"] = COMPRESSED[suffix]
                changed = True
        if changed:
            index.write_text(json.dumps(listing), encoding="utf-8")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=BUILD / "lite", help="site folder")
    args = parser.parse_args(argv)
    started = time.monotonic()
    CACHE.mkdir(parents=True, exist_ok=True)

    core = fetch_pyodide()
    lock = json.loads((core / "pyodide-lock.json").read_text(encoding="utf-8"))
    by_name = {normalise(key): entry for key, entry in lock["packages"].items()}
    needed = closure(lock, KERNEL_ROOTS + LECTURELIB_DEPENDS)
    pure = sorted(name for name in needed if NOARCH.search(by_name[name]["file_name"]))
    remote = sorted(needed - set(pure))
    extras = {
        "comm": COMM_VERSION,
        "ipywidgets": pinned(ROOT / "requirements.txt", "ipywidgets"),
    }
    specs = [f"{name}=={by_name[name]['version']}" for name in pure]
    specs += [f"{name}=={version}" for name, version in extras.items()]
    wheels = download_wheels(specs)
    shipped = {name: wheel_for(wheels, name, by_name[name]["version"]) for name in pure}
    shipped |= {name: wheel_for(wheels, name, version) for name, version in extras.items()}
    shipped["lecturelib"] = build_lecturelib_wheel()
    log(f"shipping {len(shipped)} wheels; from Pyodide's CDN at run time: {', '.join(remote)}")

    lite_dir = CACHE / "site-src"
    stage(lite_dir, core, shipped, rewrite_lock(lock, shipped))
    output = args.output.resolve()
    shutil.rmtree(output, ignore_errors=True)
    jupyter = Path(sys.executable).parent / "jupyter"
    subprocess.run(
        [
            str(jupyter), "lite", "build", "--lite-dir", str(lite_dir), "--output-dir",
            str(output), "--no-sourcemaps", "--no-unused-shared-packages",
        ],
        check=True,
        cwd=lite_dir,
    )  # fmt: skip
    fix_compressed_mimetypes(output)
    size = folder_size(output)
    log(
        f"site in {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}: "
        f"{size / 1e6:.1f} MB, built in {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
