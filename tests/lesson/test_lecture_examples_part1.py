"""Every worked example of notebooks 02-08 (SYLLABUS.md, Part I), computed by
lecturelib and checked against the lecture's numbers."""

import numpy as np
import pytest

from lecturelib import (
    ALEXNET,
    LENET5,
    ConvSpec,
    DenseSpec,
    MaxPoolSpec,
    conv1d,
    conv2d,
    conv2d_naive,
    conv_matrix,
    convolve2d,
    cross_correlate2d,
    layer_table,
    max_pool2d,
    output_size,
    pool_matrix,
    pool_output_size,
    receptive_field,
    window_indices,
)

# --- 01 Why convolutions --------------------------------------------------------------------


def test_01_one_dimensional_connection_counts():
    assert output_size(8, 3) == 6
    local = conv_matrix((1, 8), np.ones((1, 3)))  # 6 outputs x 8 inputs
    assert local.shape == (6, 8)
    assert np.count_nonzero(local) == 6 * 3 == 18  # locally connected edges
    assert local.size == 8 * 6 == 48  # a fully connected layer has them all
    shared = conv_matrix((1, 8), np.array([[0.2, 0.5, 0.3]]))
    assert len(np.unique(shared[shared != 0])) == 3  # weight sharing: 3 distinct weights


def test_01_two_dimensional_counts():
    assert output_size(6, 3) == 4
    matrix = conv_matrix((6, 6), np.arange(1.0, 10.0).reshape(3, 3))
    assert matrix.shape == (16, 36) and matrix.size == 576  # fully connected: 36 * 16
    assert len(np.unique(matrix[matrix != 0])) == 9  # a 3x3 convolution: 9 weights


def test_01_megapixel_image_counts():
    pixels = hidden = 1000 * 1000
    fully = layer_table([DenseSpec(hidden, bias=False)], (1, 1000, 1000))
    assert fully[1].weights == pixels * hidden == 10**12
    assert hidden * 10 * 10 == 10**8  # locally connected, one 10x10 window per hidden unit
    shared = layer_table([ConvSpec(1, 10, bias=False)], (1, 1000, 1000))
    assert shared[1].weights == 100


def test_01_input_features_of_an_rgb_image():
    assert layer_table([], (3, 224, 224))[0].activations == 150_528


def test_01_deep_autoencoder_weights():
    sizes = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
    table = layer_table([DenseSpec(n, bias=False) for n in sizes[1:]], (784,))
    assert table.total_weights == 2 * (784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 30) == 2_833_000


def test_01_memory_of_a_fifty_layer_network():
    assert (26_000_000 + 16_000_000) * 4 == 168_000_000  # bytes in float32


# --- 02 The convolution operation -----------------------------------------------------------


def test_02_aeroplane_smoothing():
    readings = np.array([1.00, 1.10, 1.20, 1.40, 1.70, 1.80, 1.90, 2.10, 2.20, 2.40, 2.50, 2.70])
    oldest_to_newest = np.array([0.01, 0.01, 0.02, 0.02, 0.04, 0.4, 0.5])
    assert oldest_to_newest.sum() == pytest.approx(1.0)
    # s_t = sum_a x_{t-a} w_a with w_0 = 0.5 for the newest reading: a cross-correlation
    # (no flip) with the weights listed oldest to newest, i.e. the lag-ordered kernel reversed
    by_lag = oldest_to_newest[::-1]
    smoothed = conv1d(readings[None, None], by_lag[::-1][None, None])[0, 0]
    expected = [1.811, 1.967, 2.112, 2.269, 2.413, 2.569]  # s_6 .. s_11
    np.testing.assert_allclose(smoothed, expected, atol=5e-13)
    np.testing.assert_allclose(np.convolve(readings, by_lag, mode="valid"), expected, atol=5e-13)
    # the widely copied slide's last three values are wrong
    assert not np.allclose(smoothed[3:], [2.16, 2.28, 2.42], atol=0.05)


X_3x3 = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
SOBEL_Y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])


def test_02_true_convolution_example():
    result = convolve2d(X_3x3, SOBEL_Y, padding="same")
    assert result[0, 0] == -13 and result[0, 1] == -20
    np.testing.assert_array_equal(result, [[-13, -20, -17], [-18, -24, -18], [13, 20, 17]])
    # without the flip (cross-correlation) every sign is reversed
    np.testing.assert_array_equal(cross_correlate2d(X_3x3, SOBEL_Y, padding=1), -result)
    # and the two agree once the kernel is flipped by 180 degrees
    np.testing.assert_array_equal(cross_correlate2d(X_3x3, np.rot90(SOBEL_Y, 2), padding=1), result)


def test_02_five_by_five_cross_correlation():
    x = np.array(
        [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
    )
    kernel = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    y = cross_correlate2d(x, kernel)
    assert y[0, 0] == (7 + 4 + 3) - (3 + 3 + 2) == 6
    np.testing.assert_array_equal(y, [[6, -9, -8], [-3, -2, -3], [-3, 0, -2]])


def test_02_bias_example():
    x = np.array([[2, 2, 1], [3, 1, -1], [4, 3, 2]])
    kernel = np.array([[1, -1], [-1, 0]])
    np.testing.assert_array_equal(cross_correlate2d(x, kernel, bias=2), [[-1, 2], [0, 1]])


SHARPEN_IMAGE = np.array(
    [
        [105, 102, 100, 97, 96],
        [103, 99, 103, 101, 102],
        [101, 98, 104, 102, 100],
        [99, 101, 106, 104, 99],
        [104, 104, 104, 100, 98],
    ]
)
SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])


@pytest.mark.parametrize(("stride", "shape"), [(1, (5, 5)), (2, (3, 3))])
def test_02_sharpen_on_a_zero_padded_image(stride, shape):
    y = cross_correlate2d(SHARPEN_IMAGE, SHARPEN, stride=stride, padding=1)
    assert y.shape == shape
    assert y[0, 0] == 5 * 105 - 102 - 103 == 320
    if stride == 2:  # stride 2 keeps every other output of stride 1
        np.testing.assert_array_equal(
            y, cross_correlate2d(SHARPEN_IMAGE, SHARPEN, padding=1)[::2, ::2]
        )


def test_02_naive_loops_agree_with_vectorised():
    x = SHARPEN_IMAGE[None, None].astype(float)
    w = SHARPEN[None, None].astype(float)
    for stride in (1, 2):
        np.testing.assert_array_equal(
            conv2d_naive(x, w, stride=stride, padding=1), conv2d(x, w, stride=stride, padding=1)
        )


# --- 03 Padding and stride -------------------------------------------------------------------


def test_03_one_dimensional_stride_and_padding():
    x = np.arange(1.0, 7.0)[None, None]  # 1, 2, ..., 6
    ones = np.array([[[1.0, 1.0]]])
    np.testing.assert_array_equal(conv1d(x, ones, stride=2)[0, 0], [3, 7, 11])
    np.testing.assert_array_equal(conv1d(x, ones, stride=1)[0, 0], [3, 5, 7, 9, 11])
    two_filters = np.array([[[1.0, 1.0]], [[1.0, -1.0]]])
    y = conv1d(x, two_filters, stride=2, padding=1)[0]  # windows (0,1) (2,3) (4,5) (6,0)
    np.testing.assert_array_equal(y, [[1, 5, 9, 6], [-1, -1, -1, 6]])


def test_03_output_size_examples():
    assert output_size(5, 3, stride=2, padding=1) == (5 - 3 + 2) // 2 + 1 == 3
    y = conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), stride=2, padding=1)
    assert y.shape == (1, 2, 3, 3)  # 3 x 3 x 2
    assert output_size(227, 11, stride=4) == 55
    assert conv2d(np.zeros((1, 3, 227, 227)), np.zeros((96, 3, 11, 11)), stride=4).shape == (
        1,
        96,
        55,
        55,
    )
    assert conv2d(np.zeros((1, 1, 32, 32)), np.zeros((6, 1, 5, 5))).shape == (1, 6, 28, 28)
    assert output_size(10, 3, padding=(3 - 1) // 2) == 10  # "same" padding


def bar_image():
    image = np.zeros((10, 10))
    image[:, 3:7] = 1  # columns 3-6
    return image


def test_03_bar_image_averaged_with_stride_2():
    y = cross_correlate2d(bar_image(), np.full((2, 2), 0.25), stride=2)
    assert y.shape == (5, 5)
    np.testing.assert_array_equal(y, np.tile([0, 0.5, 1, 0.5, 0], (5, 1)))


# --- 04 Edge detection -------------------------------------------------------------------------

VERTICAL_EDGE = np.array([[1, 0, -1]] * 3)
LEFT_TO_RIGHT = np.array([[-1, 0, 1]] * 3)
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])


def test_04_step_edge():
    image = np.zeros((6, 6))
    image[:, :3] = 10
    y = cross_correlate2d(image, VERTICAL_EDGE)
    assert y.shape == (4, 4)
    np.testing.assert_array_equal(y, np.tile([0, 30, 30, 0], (4, 1)))


def test_04_bar_edges():
    y = cross_correlate2d(bar_image(), LEFT_TO_RIGHT)
    np.testing.assert_array_equal(y, np.tile([0, 3, 3, 0, 0, -3, -3, 0], (8, 1)))
    assert y.max() == 3 and y.min() == -3


def test_04_padded_eight_by_eight():
    image = np.zeros((8, 8))
    image[:, 2:6] = 1  # columns 2-5
    y = cross_correlate2d(image, LEFT_TO_RIGHT, padding=1)
    border = [0, 2, 2, 0, 0, -2, -2, 0]  # only two image rows under the kernel
    inner = [0, 3, 3, 0, 0, -3, -3, 0]
    np.testing.assert_array_equal(y[0], border)
    np.testing.assert_array_equal(y[-1], border)
    np.testing.assert_array_equal(y[1:-1], np.tile(inner, (6, 1)))
    sobel = cross_correlate2d(image, SOBEL_X, padding=1)
    np.testing.assert_array_equal(sobel[1:-1], np.tile([0, 4, 4, 0, 0, -4, -4, 0], (6, 1)))
    np.testing.assert_array_equal(sobel[0], [0, 3, 3, 0, 0, -3, -3, 0])


def test_04_kernel_gallery_identity_and_shift():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 9, size=(5, 6)).astype(float)
    identity = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(cross_correlate2d(image, identity, padding="same"), image)
    shift = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]])
    moved = cross_correlate2d(image, shift, padding="same")
    # cross-correlation reads the left neighbour: the picture moves one pixel right
    np.testing.assert_array_equal(moved[:, 1:], image[:, :-1])
    # true convolution flips the kernel: the picture moves one pixel left
    np.testing.assert_array_equal(convolve2d(image, shift, padding="same")[:, :-1], image[:, 1:])


def test_04_horizontal_and_vertical_edges_then_pooling():
    picture = np.array([[1, 1, 0.5, 0, -0.5, -1, -1]] * 4, dtype=float)  # varies across columns
    vertical = cross_correlate2d(picture, VERTICAL_EDGE)
    horizontal = cross_correlate2d(picture, VERTICAL_EDGE.T)
    assert np.all(horizontal == 0) and np.all(vertical > 0)
    pooled = pool_matrix(vertical, 2, stride=(1, 2))
    assert pooled.shape == (1, 2)
    np.testing.assert_allclose(pooled, [[3.0, 3.0]])


# --- 05 Pooling -----------------------------------------------------------------------------------


def test_05_max_pool_two_by_two():
    m = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
    np.testing.assert_array_equal(pool_matrix(m, 2, stride=2), [[6, 8], [3, 4]])
    np.testing.assert_array_equal(max_pool2d(m[None, None], 2)[0, 0], [[6, 8], [3, 4]])


def test_05_separate_row_and_column_strides():
    m = np.array(
        [[1, 2, 3, 4, 5], [9, 8, 7, 6, 0], [0, 2, 4, 6, 8], [2, 3, 4, 5, 1], [6, 7, 8, 9, 0]]
    )
    padded = np.pad(m, ((0, 1), (0, 1)))  # one row of zeros below, one column on the right
    assert padded.shape == (6, 6)
    np.testing.assert_array_equal(
        pool_matrix(padded, 2, stride=(2, 1)), [[9, 8, 7, 6, 5], [3, 4, 6, 8, 8], [7, 8, 9, 9, 0]]
    )
    by_columns = pool_matrix(padded, 2, stride=(1, 2))
    np.testing.assert_array_equal(
        by_columns, [[9, 7, 5], [9, 7, 8], [3, 6, 8], [7, 9, 1], [7, 9, 0]]
    )
    assert by_columns[-1, -1] == 0  # erratum: one deck prints [7, 9, 1] for the last row
    assert pool_matrix(padded, 2, stride=2).shape == (3, 3)


def test_05_stride_two_and_stride_one():
    m = np.array([[1, 4, 2, 1], [5, 8, 3, 4], [7, 6, 4, 5], [1, 3, 1, 2]])
    np.testing.assert_array_equal(pool_matrix(m, 2, stride=2), [[8, 4], [7, 5]])
    np.testing.assert_array_equal(pool_matrix(m, 2, stride=1), [[8, 8, 4], [8, 8, 5], [7, 6, 5]])


def test_05_alexnet_pooling_shapes():
    assert pool_output_size(55, 3, 2) == 27
    assert pool_output_size(27, 3, 2) == 13
    assert pool_output_size(13, 3, 2) == 6
    assert max_pool2d(np.zeros((1, 96, 55, 55)), 3, 2).shape == (1, 96, 27, 27)
    assert max_pool2d(np.zeros((1, 256, 27, 27)), 3, 2).shape == (1, 256, 13, 13)
    assert max_pool2d(np.zeros((1, 256, 13, 13)), 3, 2).shape == (1, 256, 6, 6)


# --- 06 Channels, depth and whole layers ------------------------------------------------------


def test_06_rgb_example():
    image = np.array(
        [
            [[156, 155], [153, 154]],  # red, top-left corner
            [[167, 166], [164, 165]],  # green
            [[163, 162], [160, 161]],  # blue
        ],
        dtype=float,
    )[None]
    kernel = np.array(
        [
            [[-1, -1, 1], [0, 1, -1], [0, 1, 1]],
            [[1, 0, 0], [1, -1, -1], [1, 0, -1]],
            [[0, 1, 1], [0, 1, 0], [1, -1, 1]],
        ],
        dtype=float,
    )[None]
    per_channel = [
        conv2d(image[:, c : c + 1], kernel[:, c : c + 1], padding=1)[0, 0, 0, 0] for c in range(3)
    ]
    assert per_channel == [308, -498, 164]
    y = conv2d(image, kernel, b=np.array([1.0]), padding=1)
    assert y[0, 0, 0, 0] == 308 - 498 + 164 + 1 == -25


def test_06_parameter_counts():
    layer = layer_table([ConvSpec(256, 3)], (256, 13, 13))[1]
    assert layer.weights == 256 * 256 * 3 * 3 == 589_824 and layer.biases == 256
    c3 = layer_table([ConvSpec(16, 5)], (6, 14, 14))[1]
    assert c3.output_shape == (16, 10, 10)
    assert c3.weights == 16 * 6 * 5 * 5 == 2_400 and c3.biases == 16
    assert layer_table(LENET5, (1, 32, 32))["C3"].params == 1_516
    six = layer_table([ConvSpec(6, 5)], (3, 32, 32))[1]
    assert six.shape_text == "28x28x6"
    assert six.params == 6 * (5 * 5 * 3 + 1) == 456
    assert six.params != 156  # the slip that forgets the depth: 6 * (5 * 5 + 1)


def test_06_convolution_as_a_matrix():
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    matrix = conv_matrix((3, 3), kernel)
    assert matrix.shape == (4, 9)
    assert np.count_nonzero(matrix) == 16
    assert len(np.unique(matrix[matrix != 0])) == 4
    x = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(matrix @ x.ravel(), cross_correlate2d(x, kernel).ravel())


def test_06_sparse_connectivity_pixels():
    seen = window_indices((4, 4), 2, stride=2) + 1  # pixels numbered 1..16
    assert seen[0, 0].ravel().tolist() == [1, 2, 5, 6]  # h11
    assert seen[0, 1].ravel().tolist() == [3, 4, 7, 8]  # h12
    assert seen[1, 0].ravel().tolist() == [9, 10, 13, 14]  # h13
    assert seen[1, 1].ravel().tolist() == [11, 12, 15, 16]  # h14


def test_06_receptive_fields_grow_with_depth():
    first_layer = window_indices((1, 5), (1, 3))[0, :, 0]  # units of layer 1 on x1..x5
    assert not any(0 in unit and 4 in unit for unit in first_layer.tolist())
    assert receptive_field([3, 3], position=0) == range(0, 5)  # x1 and x5 meet in layer 2


# --- 07 AlexNet --------------------------------------------------------------------------------


def test_07_alexnet_table():
    table = layer_table(ALEXNET, (3, 227, 227))
    expected = {
        "Conv-1 (96, 11x11, s4)": ("55x55x96", 34_848, 96, 34_944),
        "MaxPool-1 (3x3, s2)": ("27x27x96", 0, 0, 0),
        "Conv-2 (256, 5x5, p2)": ("27x27x256", 614_400, 256, 614_656),
        "MaxPool-2 (3x3, s2)": ("13x13x256", 0, 0, 0),
        "Conv-3 (384, 3x3, p1)": ("13x13x384", 884_736, 384, 885_120),
        "Conv-4 (384, 3x3, p1)": ("13x13x384", 1_327_104, 384, 1_327_488),
        "Conv-5 (256, 3x3, p1)": ("13x13x256", 884_736, 256, 884_992),
        "MaxPool-3 (3x3, s2)": ("6x6x256", 0, 0, 0),
        "FC-1": ("4096", 37_748_736, 4_096, 37_752_832),
        "FC-2": ("4096", 16_777_216, 4_096, 16_781_312),
        "FC-3": ("1000", 4_096_000, 1_000, 4_097_000),
    }
    assert table[0].shape_text == "227x227x3" and table[0].params == 0
    for label, (shape, weights, biases, params) in expected.items():
        row = table[label]
        assert (row.shape_text, row.weights, row.biases, row.params) == (
            shape,
            weights,
            biases,
            params,
        )
        if row.kind == "conv":  # Wc = K^2 * C * N, Bc = N, Pc = Wc + Bc
            layer = row.layer
            channels = {"conv1": 3, "conv2": 96, "conv3": 256, "conv4": 384, "conv5": 384}[row.name]
            assert row.weights == layer.kernel**2 * channels * layer.filters
    assert table.total_params == 62_378_344
    assert round(table.share("fc"), 2) == 0.94


def test_07_alexnet_edit_the_first_layer():
    edited = layer_table([ConvSpec(64, 11, stride=3), *ALEXNET[1:]], (3, 227, 227))
    assert edited["conv1"].shape_text == "73x73x64"
    broken = layer_table([ConvSpec(96, 11, stride=4), MaxPoolSpec(3, 2), *ALEXNET[2:]], (3, 50, 50))
    assert broken.ok is False
    assert "larger than padded input" in broken["maxpool3"].error
