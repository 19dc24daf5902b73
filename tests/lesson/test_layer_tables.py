"""Tests for lecturelib.layer_tables: layer tables for AlexNet, LeNet-5, VGG-16 and
hand-made networks, broken settings, and the text/HTML renderings."""

import dataclasses

import numpy as np
import pytest

from lecturelib import conv2d, max_pool2d
from lecturelib.layer_tables import (
    ALEXNET,
    LECTURE_COLUMNS,
    LENET5,
    LENET5_C3_CONNECTIONS,
    VGG16,
    AvgPoolSpec,
    ConvSpec,
    DenseSpec,
    FlattenSpec,
    InputSpec,
    LayerTable,
    MaxPoolSpec,
    ReLUSpec,
    SubsampleSpec,
    layer_table,
    shape_text,
)

ALEXNET_ROWS = [
    # label, output, weights, biases, params (the lecture's table)
    ("Input", "227x227x3", 0, 0, 0),
    ("Conv-1 (96, 11x11, s4)", "55x55x96", 34_848, 96, 34_944),
    ("MaxPool-1 (3x3, s2)", "27x27x96", 0, 0, 0),
    ("Conv-2 (256, 5x5, p2)", "27x27x256", 614_400, 256, 614_656),
    ("MaxPool-2 (3x3, s2)", "13x13x256", 0, 0, 0),
    ("Conv-3 (384, 3x3, p1)", "13x13x384", 884_736, 384, 885_120),
    ("Conv-4 (384, 3x3, p1)", "13x13x384", 1_327_104, 384, 1_327_488),
    ("Conv-5 (256, 3x3, p1)", "13x13x256", 884_736, 256, 884_992),
    ("MaxPool-3 (3x3, s2)", "6x6x256", 0, 0, 0),
    ("FC-1", "4096", 37_748_736, 4_096, 37_752_832),
    ("FC-2", "4096", 16_777_216, 4_096, 16_781_312),
    ("FC-3", "1000", 4_096_000, 1_000, 4_097_000),
]


def test_alexnet_table_matches_the_lecture():
    table = layer_table(ALEXNET, (3, 227, 227))
    assert isinstance(table, LayerTable)
    got = [(row.label, row.shape_text, row.weights, row.biases, row.params) for row in table]
    assert got == ALEXNET_ROWS
    assert table.total_params == 62_378_344
    assert table.ok and table.errors == []
    assert [row.name for row in table][:4] == ["input", "conv1", "maxpool1", "conv2"]
    assert table["conv1"].output_shape == (96, 55, 55)
    assert table["FC-1"].output_shape == (4096,)


def test_alexnet_macs_activations_and_memory():
    table = layer_table(ALEXNET, (3, 227, 227))
    conv1 = table["conv1"]
    assert conv1.macs == 55 * 55 * 96 * (11 * 11 * 3)
    assert table["fc1"].macs == 6 * 6 * 256 * 4096
    assert table["maxpool1"].macs == 0
    assert conv1.activations == 55 * 55 * 96
    assert conv1.bytes == 4 * 55 * 55 * 96
    assert table[0].activations == 227 * 227 * 3
    assert table.total_macs == sum(row.macs for row in table)
    # the fully connected layers hold ~94% of the parameters, the convolutions most of the work
    assert table.share("fc") == pytest.approx(0.94, abs=0.005)
    assert table.share("conv", of="macs") > 0.9


def test_lenet5():
    table = layer_table(LENET5, (1, 32, 32))
    shapes = [row.shape_text for row in table]
    assert shapes == ["32x32x1", "28x28x6", "14x14x6", "10x10x16", "5x5x16", "1x1x120", "84", "10"]
    params = [row.params for row in table]
    assert params == [0, 156, 12, 1_516, 32, 48_120, 10_164, 850]
    assert table["C3"].weights == 1_500
    assert table["C3"].macs == 10 * 10 * 1_500
    assert table.total_params == 60_850
    assert len(LENET5_C3_CONNECTIONS) == 16
    assert sum(len(c) for c in LENET5_C3_CONNECTIONS) == 60
    # a fully connected C3 would need 16 * 6 * 5 * 5 = 2,400 weights
    full = layer_table([ConvSpec(16, 5)], (6, 14, 14))
    assert full[1].weights == 2_400


def test_vgg16_total():
    table = layer_table(VGG16, (3, 224, 224))
    assert table.total_params == 138_357_544
    assert table["maxpool5"].output_shape == (512, 7, 7)
    assert table["conv1"].label == "Conv-1 (64, 3x3, p1)"


def test_layer_table_against_real_arrays():
    """The table's shapes agree with what conv2d and max_pool2d produce."""
    layers = [
        ConvSpec(4, 3, stride=2, padding=1),
        MaxPoolSpec(2),
        ConvSpec(5, (2, 3), dilation=(1, 2)),
        ReLUSpec(),
    ]
    table = layer_table(layers, (3, 17, 21))
    x = np.zeros((1, 3, 17, 21))
    x = conv2d(x, np.zeros((4, 3, 3, 3)), stride=2, padding=1)
    assert table[1].output_shape == x.shape[1:]
    x = max_pool2d(x, 2)
    assert table[2].output_shape == x.shape[1:]
    x = conv2d(x, np.zeros((5, 4, 2, 3)), dilation=(1, 2))
    assert table[3].output_shape == x.shape[1:]
    assert table[4].output_shape == x.shape[1:] and table[4].params == 0


def test_layer_kinds_and_options():
    table = layer_table(
        [
            InputSpec((2, 8, 8), name="Image"),
            ConvSpec(3, 3, bias=False),
            AvgPoolSpec(2),
            FlattenSpec(),
            DenseSpec(5, bias=False),
        ]
    )
    assert table[0].label == "Image" and table[0].output_shape == (2, 8, 8)
    assert table["conv1"].biases == 0 and table["conv1"].weights == 3 * 2 * 9
    assert table["avgpool1"].output_shape == (3, 3, 3)
    assert table["flatten1"].output_shape == (27,)
    assert table["fc1"].params == 27 * 5
    plain = layer_table([SubsampleSpec(2, trainable=False)], (4, 6, 6))
    assert plain[1].params == 0 and plain[1].output_shape == (4, 3, 3)
    assert shape_text((96, 55, 55)) == "55x55x96" and shape_text((10,)) == "10"


def test_broken_rows_do_not_raise():
    layers = [dataclasses.replace(ALEXNET[0], kernel=300), *ALEXNET[1:]]
    table = layer_table(layers, (3, 227, 227))
    assert not table.ok
    conv1 = table["conv1"]
    assert (
        conv1.error
        == "kernel 300 (dilated extent 300) is larger than padded input 227 along height"
    )
    assert conv1.output_shape is None and conv1.macs is None
    assert conv1.params == 96 * 300 * 300 * 3 + 96  # the parameters are still known
    for row in list(table)[2:]:
        assert row.error.startswith("follows a broken layer (Conv-1")
        assert row.params is None
    assert table.total_params is None and table.total_macs is None
    text = table.to_text()
    assert "! Conv-1 (96, 300x300, s4): kernel 300" in text
    assert "the 10 layer(s) after it cannot be computed" in text
    assert "kernel 300" in table.to_html()


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([ConvSpec(6, 5, stride=0)], "stride must be >= 1, got 0"),
        ([ConvSpec(0, 5)], "filters must be >= 1, got 0"),
        ([ConvSpec(6, 2.5)], "kernel must be an integer or a (rows, cols) pair, got 2.5"),
        ([ConvSpec(6, 3, padding=-1)], "padding must be >= 0, got -1"),
        (
            [MaxPoolSpec(3, 2, padding=2)],
            "padding 2 along height is more than half the pooling kernel 3",
        ),
        (
            [MaxPoolSpec(40)],
            "kernel 40 (dilated extent 40) is larger than padded input 32 along height",
        ),
        (
            [DenseSpec(10), ConvSpec(6, 3)],
            "a convolution needs a (C, H, W) input, got a vector of 10",
        ),
        ([DenseSpec(10), MaxPoolSpec(2)], "pooling needs a (C, H, W) input, got a vector of 10"),
        (
            [ConvSpec(2, 3, connections=[(0,), (5,)])],
            "connections[1] = [5] must name distinct input channels in 0..2",
        ),
        (
            [ConvSpec(2, 3, connections=[(0,)])],
            "connections must list input channels for each of the 2 filters, got 1 entries",
        ),
    ],
)
def test_impossible_settings_are_flagged_on_their_row(layers, message):
    table = layer_table(layers, (3, 32, 32))
    broken = [row for row in table if row.error and not row.error.startswith("follows")]
    assert len(broken) == 1
    assert broken[0].error == message


def test_bad_input_shape_and_bad_layer_objects():
    table = layer_table([ConvSpec(2, 3)], (3, 0, 32))
    assert table[0].error.startswith("input_shape must hold positive integers")
    assert table[1].error == "follows a broken layer (Input)"
    assert layer_table([], (5, 5))[0].error.startswith(
        "input_shape must be (C, H, W) or (features,)"
    )
    with pytest.raises(TypeError, match=r"layers\[1\] must be a layer specification"):
        layer_table([ConvSpec(2, 3), "relu"], (3, 8, 8))
    with pytest.raises(TypeError, match="Input may only be the first layer"):
        layer_table([ConvSpec(2, 3), InputSpec((3, 8, 8))], (3, 8, 8))
    with pytest.raises(ValueError, match="layer names must be unique, repeated: a"):
        layer_table([ConvSpec(2, 3, name="a"), ConvSpec(2, 3, name="a")], (3, 8, 8))
    with pytest.raises(KeyError, match="no layer named 'conv9'"):
        layer_table([ConvSpec(2, 3)], (3, 8, 8))["conv9"]


def test_text_rendering_is_aligned_with_thousands_separators():
    table = layer_table(ALEXNET, (3, 227, 227))
    text = table.to_text(LECTURE_COLUMNS)
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "Output", "Weights", "Biases", "Parameters"]
    assert len({len(line) for line in lines if not line.startswith("-")}) == 1  # aligned
    assert "37,752,832" in text and "62,378,344" in text
    assert lines[-1].split()[-1] == "62,378,344"
    conv1_line = next(line for line in lines if "Conv-1" in line)
    assert conv1_line.split()[-3:] == ["34,848", "96", "34,944"]
    full = table.to_text()
    assert "MACs" in full and "Memory (float32)" in full and "1,135,256,096" in full
    assert str(table) == full
    with pytest.raises(ValueError, match="unknown column 'flops'"):
        table.to_text(("layer", "flops"))


def test_html_rendering():
    table = layer_table(LENET5, (1, 32, 32))
    page = table.to_html(LECTURE_COLUMNS)
    assert page.startswith("<table") and page.endswith("</table>")
    assert page.count("<tr") == 1 + len(table) + 1  # header, rows, total
    assert "1,516" in page and "C3 (16, 5x5, partial)" in page
    assert table._repr_html_() == table.to_html()
