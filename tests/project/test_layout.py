"""The package's layout is the course's: the lesson at the top, the rest beside it.

- The top-level modules (the lesson) import numpy, the standard library and each
  other only; never lecturelib.training, lecturelib.drawing or lecturelib.exercises.
- lecturelib.fast (the vectorised paths) imports numpy and the argument checks only.
- lecturelib.training builds on the lesson and never draws.
- lecturelib.drawing is the only place that imports matplotlib, ipywidgets,
  anywidget or IPython.
- ``import lecturelib`` loads no drawing library (a student's first import is fast
  and works without a display).
"""

import ast
import pathlib
import subprocess
import sys
import warnings

import pytest

import lecturelib

PACKAGE = pathlib.Path(lecturelib.__file__).parent
DRAWING_LIBRARIES = ("matplotlib", "ipywidgets", "anywidget", "IPython")
SUBPACKAGES = ("fast", "training", "drawing", "exercises")


def _modules(folder: pathlib.Path, recursive: bool = False):
    files = folder.rglob("*.py") if recursive else folder.glob("*.py")
    return sorted(p for p in files if p.name != "__main__.py")


def _dotted(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path) -> set[str]:
    """Every module a file imports (at the top or inside a function), as absolute names."""
    package = _dotted(path) if path.name == "__init__.py" else _dotted(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import name: name may be a module
                    found.update(f"{module}.{alias.name}" for alias in node.names)
                found.add(module)
            else:
                found.add(node.module)
    return found


def _uses(imported: set[str], prefixes) -> list[str]:
    return sorted(
        name for name in imported if any(name == p or name.startswith(p + ".") for p in prefixes)
    )


LESSON = _modules(PACKAGE)


def test_the_lesson_modules_are_at_the_top_and_the_subpackages_beside_them():
    names = {p.stem for p in LESSON}
    for lesson in ("convolution", "pooling", "recurrent", "gated", "dropout", "batchnorm"):
        assert lesson in names
    for lesson in ("losses", "gradients", "layer_tables", "jacobians", "text", "tasks", "data"):
        assert lesson in names
    for sub in ("training", "drawing", "exercises"):
        assert (PACKAGE / sub / "__init__.py").is_file()


@pytest.mark.parametrize("path", LESSON, ids=lambda p: p.name)
def test_a_lesson_module_imports_numpy_and_the_lesson_only(path):
    imported = _imports(path)
    forbidden = _uses(imported, [f"lecturelib.{s}" for s in ("training", "drawing", "exercises")])
    forbidden += _uses(imported, DRAWING_LIBRARIES)
    assert not forbidden, f"{path.name} imports {forbidden}"
    outside = sorted(
        name
        for name in imported
        if name.split(".")[0] not in ("lecturelib", "numpy", "__future__")
        and name.split(".")[0] not in sys.stdlib_module_names
    )
    assert not outside, f"{path.name} imports {outside} (the lesson needs numpy only)"


@pytest.mark.parametrize("path", _modules(PACKAGE / "fast", recursive=True), ids=lambda p: p.name)
def test_the_fast_paths_import_numpy_and_the_checks_only(path):
    imported = _uses(_imports(path), ["lecturelib"])
    assert set(imported) <= {"lecturelib.fast", "lecturelib._checks"} | {
        _dotted(p) for p in _modules(PACKAGE / "fast", recursive=True)
    }, f"{path.name} imports {imported}"


@pytest.mark.parametrize(
    "path", _modules(PACKAGE / "training", recursive=True), ids=lambda p: p.name
)
def test_training_never_draws(path):
    imported = _imports(path)
    assert not _uses(imported, ["lecturelib.drawing", *DRAWING_LIBRARIES]), path.name


def test_only_the_drawing_subpackage_imports_drawing_libraries():
    drawing = PACKAGE / "drawing"
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _modules(PACKAGE, recursive=True)
        if drawing not in p.parents and _uses(_imports(p), DRAWING_LIBRARIES)
    ]
    assert offenders == []


def test_importing_lecturelib_and_training_loads_no_drawing_library():
    code = (
        "import sys, lecturelib, lecturelib.training, lecturelib.exercises\n"
        f"loaded = [m for m in {DRAWING_LIBRARIES!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_is_exported_once():
    """No two top-level names for one thing (orthogonal/orthogonal_init, two losses...)."""
    seen = {}
    for name in dir(lecturelib):
        if name.startswith("_"):
            continue
        obj = getattr(lecturelib, name)
        if callable(obj) and not isinstance(obj, type(lecturelib)):
            seen.setdefault(id(obj), []).append(name)
    doubles = [names for names in seen.values() if len(names) > 1]
    assert doubles == []


@pytest.mark.parametrize(
    "old, new",
    [("Conv", "ConvSpec"), ("ReLU", "ReLUSpec"), ("Flatten", "FlattenSpec"), ("FC", "DenseSpec")],
)
def test_old_layer_table_names_still_work_with_a_warning(old, new):
    with pytest.warns(DeprecationWarning, match=f"use lecturelib.layer_tables.{new}"):
        spec = getattr(lecturelib, old)
    assert spec is getattr(lecturelib, new)


def test_moved_training_names_still_work_from_the_top_with_a_warning():
    import lecturelib.training

    with pytest.warns(DeprecationWarning, match="use lecturelib.training.fit"):
        fit = lecturelib.fit
    assert fit is lecturelib.training.fit
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        lecturelib.no_such_name  # noqa: B018


def test_the_public_names_import_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from lecturelib import (  # noqa: F401
            ALEXNET,
            LENET5,
            avg_pool2d,
            batch_norm,
            conv2d,
            conv2d_backward,
            dropout,
            gru_forward,
            layer_table,
            lstm_forward,
            max_pool2d,
            rnn_forward,
        )


# The public API (the project's API notes): these names, with these parameters in
# this order, stay importable from the top of the package whatever the layout.
API = {
    "output_size": "n kernel_size stride padding dilation",
    "conv1d": "x w b stride padding dilation groups",
    "conv1d_backward": "grad_y x w b stride padding dilation groups",
    "conv2d": "x w b stride padding dilation groups",
    "conv2d_backward": "grad_y x w b stride padding dilation groups",
    "conv_transpose1d": "x w b stride padding output_padding groups dilation",
    "conv_transpose2d": "x w b stride padding output_padding groups dilation",
    "conv_transpose2d_backward": "grad_y x w b stride padding output_padding groups dilation",
    "max_pool2d": "x kernel_size stride padding dilation ceil_mode return_indices",
    "max_pool2d_backward": "grad_y x kernel_size stride padding",
    "max_unpool2d": "y indices kernel_size stride padding output_size",
    "avg_pool2d": "x kernel_size stride padding ceil_mode count_include_pad divisor_override",
    "avg_pool2d_backward": "grad_y x kernel_size stride padding",
    "rnn_forward": "x h0 U W b",
    "rnn_backward": "grad_h cache truncate",
    "lstm_forward": "x h0 c0 U W b",
    "lstm_backward": "grad_h cache",
    "gru_forward": "x h0 U W b_x b_h",
    "gru_backward": "grad_h cache",
    "clip_grad_norm": "grads max_norm",
    "clip_grad_value": "grads clip_value",
    "dropout": "x p training rng",
    "dropout_backward": "grad_y mask p",
    "batch_norm": "x running_mean running_var weight bias training momentum eps",
    "batch_norm_backward": "grad_y x weight bias eps training running_mean running_var",
    "layer_table": "layers input_shape",
}


@pytest.mark.parametrize("name", sorted(API))
def test_the_public_api_keeps_its_names_and_parameters(name):
    import inspect

    parameters = list(inspect.signature(getattr(lecturelib, name)).parameters)
    expected = API[name].split()
    assert parameters[: len(expected)] == expected


def test_the_public_constants_and_the_exercise_checker_are_there():
    from lecturelib.exercises import check

    assert callable(check)
    assert lecturelib.layer_table(lecturelib.ALEXNET, lecturelib.ALEXNET_INPUT).total_params == (
        62_378_344
    )
    assert lecturelib.LENET5
