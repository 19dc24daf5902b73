"""Layer tables for the convolution family: groups (AlexNet's two GPUs), depthwise and
depthwise-separable convolution (MobileNet), dilation and ceil-mode pooling (GoogLeNet)."""

import numpy as np
import pytest

from lecturelib import conv2d, max_pool2d
from lecturelib.layer_tables import (
    ALEXNET,
    ALEXNET_GROUPED,
    ALEXNET_INPUT,
    GOOGLENET_INPUT,
    GOOGLENET_STEM,
    LENET5,
    VGG16,
    AvgPoolSpec,
    ConvSpec,
    DepthwiseConvSpec,
    MaxPoolSpec,
    depthwise_separable,
    layer_table,
)


def test_lecture_totals_are_unchanged():
    assert layer_table(ALEXNET, ALEXNET_INPUT).total_params == 62_378_344
    assert layer_table(LENET5, (1, 32, 32)).total_params == 60_850
    assert layer_table(VGG16, (3, 224, 224)).total_params == 138_357_544


def test_grouped_alexnet_has_1413120_fewer_parameters():
    grouped = layer_table(ALEXNET_GROUPED, ALEXNET_INPUT)
    single = layer_table(ALEXNET, ALEXNET_INPUT)
    assert grouped.total_params == 60_965_224
    assert single.total_params - grouped.total_params == 1_413_120
    # only conv-2, conv-4 and conv-5 change, each to half its weights (biases stay)
    halved = {"conv2": 307_200, "conv4": 663_552, "conv5": 442_368}
    for row, other in zip(grouped, single):
        assert row.output_shape == other.output_shape
        if row.name in halved:
            assert row.weights == other.weights // 2 == halved[row.name]
            assert row.biases == other.biases
            assert row.macs == other.macs // 2
        else:
            assert (row.params, row.macs) == (other.params, other.macs)
    assert grouped["conv2"].label == "Conv-2 (256, 5x5, p2, g2)"
    assert sum(halved.values()) == 1_413_120


def test_groups_count_like_pytorchs_weight_shape():
    # PyTorch's weight for groups g: (F, C / g, KH, KW)
    x, w = np.ones((1, 6, 5, 5)), np.ones((4, 3, 3, 3))
    row = layer_table([ConvSpec(4, 3, groups=2)], (6, 5, 5))["conv1"]
    assert row.weights == w.size
    # a grouped convolution is one convolution per group, side by side
    y = np.concatenate([conv2d(x[:, :3], w[:2]), conv2d(x[:, 3:], w[2:])], axis=1)
    assert row.output_shape == y.shape[1:] == (4, 3, 3)
    table = layer_table([ConvSpec(4, 3, groups=4)], (6, 5, 5))
    assert (
        table["conv1"].error == "groups 4 must divide both the input channels 6 and the filters 4"
    )
    table = layer_table([ConvSpec(4, 3, groups=2, connections=((0,),) * 4)], (6, 5, 5))
    assert table["conv1"].error == "give either groups or connections, not both"


def test_depthwise_separable_block_saves_like_mobilenet():
    shape = (512, 14, 14)
    standard = layer_table([ConvSpec(512, 3, padding=1, bias=False)], shape)
    separable = layer_table(depthwise_separable(512), shape)
    assert standard.total_params == 512 * 512 * 9 == 2_359_296
    assert separable.total_params == 512 * 9 + 512 * 512 == 266_752
    assert standard.total_macs == 14 * 14 * 2_359_296 == 462_422_016
    assert separable.total_macs == 52_283_392
    # MobileNet's ratio 1/F + 1/K^2: about 8.8 times fewer parameters and MACs
    ratio = 1 / 512 + 1 / 9
    assert separable.total_params / standard.total_params == pytest.approx(ratio)
    assert separable.total_macs / standard.total_macs == pytest.approx(ratio)
    assert standard.total_macs / separable.total_macs == pytest.approx(8.84, abs=0.01)
    assert separable[-1].output_shape == standard[-1].output_shape == shape
    assert [row.label for row in separable][1:] == ["DWConv-1 (3x3, p1)", "Conv-1 (512, 1x1)"]


def test_depthwise_conv_is_a_conv_with_groups_equal_to_channels():
    depthwise = layer_table([DepthwiseConvSpec(3, stride=2, padding=1, multiplier=2)], (8, 9, 9))
    grouped = layer_table([ConvSpec(16, 3, stride=2, padding=1, groups=8)], (8, 9, 9))
    assert depthwise["dwconv1"].output_shape == grouped["conv1"].output_shape == (16, 5, 5)
    assert depthwise.total_params == grouped.total_params == 16 * 9 + 16
    assert depthwise.total_macs == grouped.total_macs
    assert depthwise["dwconv1"].label == "DWConv-1 (x2, 3x3, s2, p1)"


def test_googlenet_ceil_mode_pooling_shapes():
    table = layer_table(GOOGLENET_STEM, GOOGLENET_INPUT)
    assert [row.shape_text for row in table] == [
        "224x224x3",
        "112x112x64",
        "56x56x64",
        "56x56x64",
        "56x56x192",
        "28x28x192",
    ]
    assert table["maxpool1"].label == "MaxPool-1 (3x3, s2, ceil)"
    floor = layer_table([MaxPoolSpec(3, 2)], (64, 112, 112))
    assert floor[-1].shape_text == "55x55x64"  # rounding down loses a row and a column
    # the table agrees with the pooling function itself
    y = max_pool2d(np.zeros((1, 112, 112)), 3, 2, ceil_mode=True)
    assert y.shape == (1, 56, 56)
    assert table.total_params == 9_408 + 4_096 + 110_592


def test_pool_specs_know_dilation_and_ceil_mode():
    table = layer_table([MaxPoolSpec(2, 1, dilation=2, ceil_mode=True)], (1, 5, 5))
    assert table[-1].output_shape == max_pool2d(np.zeros((1, 5, 5)), 2, 1, dilation=2).shape
    assert table[-1].label == "MaxPool-1 (2x2, s1, d2, ceil)"
    table = layer_table([AvgPoolSpec(2, ceil_mode=True)], (1, 5, 5))
    assert table[-1].shape_text == "3x3x1"
    table = layer_table([MaxPoolSpec(6, 2, ceil_mode=True)], (1, 4, 4))
    assert "even with ceil_mode" in table[-1].error


def test_new_fields_only_show_in_the_repr_when_set():
    # the lecture's specifications print exactly as before the family was added
    assert repr(ALEXNET[1]) == "MaxPoolSpec(kernel=3, stride=2, padding=0, name=None)"
    assert repr(ALEXNET[0]).endswith("connections=None, name=None)")
    assert repr(ALEXNET_GROUPED[2]).endswith("name=None, groups=2)")
    assert repr(GOOGLENET_STEM[1]).endswith("name=None, ceil_mode=True)")
    assert repr(MaxPoolSpec(2, dilation=2)).endswith("name=None, dilation=2)")
