"""The one redrawing mechanism of live figures (lecturelib.drawing.live), used by every panel."""

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from lecturelib.drawing import figures as viz  # noqa: E402
from lecturelib.drawing import sequences as vs  # noqa: E402
from lecturelib.drawing.live import BlitCanvas, freeze_layout, live_figure  # noqa: E402
from lecturelib.drawing.panel import Panel, slider  # noqa: E402
from lecturelib.drawing.sliding import SlidingWindowStepper  # noqa: E402


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def png_pixels(figure):
    return pixels(viz.figure_png(figure))


def full_drawing(figure, artists=()) -> np.ndarray:
    """The figure drawn the ordinary way, every artist included, as pixels (``artists``
    and every artist marked animated, such as the frames a canvas adds itself)."""
    artists = [*artists, *figure.findobj(lambda artist: artist.get_animated())]
    for artist in artists:
        artist.set_animated(False)
    try:
        FigureCanvasAgg.draw(figure.canvas)
        return pixels(viz.canvas_png(figure.canvas))
    finally:
        for artist in artists:
            artist.set_animated(True)


class Counting:
    """Counts how often ``artist`` is drawn."""

    def __init__(self, artist):
        self.count = 0
        draw = artist.draw

        def counted(renderer):
            self.count += 1
            return draw(renderer)

        artist.draw = counted


def two_axes_figure():
    """A figure whose changing artists lie over fixed ones (ticks, labels, a second axes)."""
    figure, (ax_line, ax_image) = viz.new_figure(6, 2.6, ncols=2)
    x = np.linspace(0, 1, 50)
    ax_line.plot(x, x**2, color=viz.MUTED, label="fixed")
    (line,) = ax_line.plot(x, x, color=viz.ACCENT, zorder=3)
    # over the fixed line, under the frame
    marker = ax_line.axvline(0.5, 0.05, 0.95, color=viz.HIGHLIGHT, zorder=2.2)
    title = ax_line.set_title("start")
    ax_line.set(xlabel="x", ylabel="y", xlim=(0, 1), ylim=(-1, 2))
    image = ax_image.imshow(np.zeros((4, 5)), cmap=viz.DIVERGING, vmin=-1, vmax=1)
    ax_image.set_title("an image")

    def update(a):
        line.set_ydata(a * x)
        marker.set_xdata([a / 2, a / 2])
        title.set_text(f"a = {a:g}")
        image.set_data(np.sin(a * np.arange(20.0)).reshape(4, 5))

    # The image's frame lies over the image, so it is redrawn with it (the canvas would
    # add it itself; here it is listed). Listed against their drawing order: the canvas
    # must draw by axes and zorder.
    frame = list(ax_image.spines.values())
    return figure, update, [*frame, title, image, line, marker]


def test_a_live_figure_equals_a_full_drawing_pixel_for_pixel():
    figure, update, artists = two_axes_figure()
    canvas = live_figure(figure, artists)
    assert figure.canvas is canvas and isinstance(canvas, BlitCanvas)
    assert all(artist.get_animated() for artist in artists)
    for a in (0.3, 1.0, 1.7, 0.3):
        update(a)
        live = png_pixels(figure)
        assert np.array_equal(live, full_drawing(figure, artists)), a
    assert canvas.full_draws == 1  # the axes never moved: one background for all


def test_only_the_named_artists_are_redrawn():
    figure, update, artists = two_axes_figure()
    ax_line = figure.axes[0]
    fixed = Counting(ax_line.get_lines()[0])
    ticks = Counting(ax_line.xaxis)
    named = [Counting(artist) for artist in artists]
    canvas = live_figure(figure, artists)
    viz.figure_png(figure)
    assert fixed.count == ticks.count == 1  # drawn once, into the background
    for a in (0.5, 1.5, 0.9):
        update(a)
        viz.figure_png(figure)
    assert fixed.count == ticks.count == 1
    assert [n.count for n in named] == [5] * len(artists)  # first drawing, then every update
    assert canvas.full_draws == 1


def test_the_layout_is_solved_once_then_frozen():
    figure, update, artists = two_axes_figure()
    live_figure(figure, artists)
    assert figure.get_layout_engine() is None
    frozen = [ax.get_position().bounds for ax in figure.axes]
    assert frozen[0] != pytest.approx((0.125, 0.11, 0.3523, 0.77), abs=1e-3)  # constrained
    update(1.2)
    figure.axes[0].set_title("a title long enough that a layout engine would make room for it")
    viz.figure_png(figure)
    assert [ax.get_position().bounds for ax in figure.axes] == frozen


def test_new_axes_limits_get_their_own_background_and_forget_drops_them():
    figure, update, artists = two_axes_figure()
    canvas = live_figure(figure, artists)
    ax_line = figure.axes[0]
    viz.figure_png(figure)
    assert canvas.full_draws == 1 and len(canvas._backgrounds) == 1
    ax_line.set_ylim(-3, 3)  # the ticks change: a new background
    update(2.5)
    assert np.array_equal(png_pixels(figure), full_drawing(figure, artists))
    assert canvas.full_draws == 2 and len(canvas._backgrounds) == 2
    ax_line.set_ylim(-1, 2)  # back: the first background is reused
    viz.figure_png(figure)
    assert canvas.full_draws == 2
    ax_line.set_xlabel("x, renamed")  # not a named artist: say so with forget()
    canvas.forget()
    assert np.array_equal(png_pixels(figure), full_drawing(figure, artists))
    assert canvas.full_draws == 3


def test_limits_of_an_axes_without_ticks_keep_the_background():
    # A matrix or a diagram may change its limits: what moves with them is in the artists.
    figure, update, artists = two_axes_figure()
    ax_image = figure.axes[1]
    ax_image.set_xticks([])
    ax_image.set_yticks([])
    canvas = live_figure(figure, artists)
    viz.figure_png(figure)
    artists[artists.index(ax_image.images[0])].set_extent((-0.5, 6.5, 3.5, -0.5))
    ax_image.set_xlim(-0.5, 6.5)
    update(0.7)
    viz.figure_png(figure)
    assert canvas.full_draws == 1
    ax_image.set_xticks([0, 3, 6])  # now the ticks follow the limits: a new background
    canvas.forget()
    viz.figure_png(figure)
    ax_image.set_xlim(-0.5, 4.5)
    viz.figure_png(figure)
    assert canvas.full_draws == 3


def test_the_frame_over_a_listed_image_or_line_is_redrawn_without_being_listed():
    figure, (ax_image, ax_line, ax_off) = viz.new_figure(7, 2.4, ncols=3)
    image = ax_image.imshow(np.zeros((4, 4)), cmap=viz.DIVERGING, vmin=-1, vmax=1)
    (line,) = ax_line.plot([0, 1], [0, 1], color=viz.ACCENT, lw=3)  # corner to corner
    ax_line.set(xlim=(0, 1), ylim=(0, 1))
    hidden = ax_off.imshow(np.zeros((3, 3)), cmap=viz.GREY, vmin=0, vmax=1)
    ax_off.set_axis_off()  # no frame: a full drawing draws none, so neither may the canvas
    canvas = live_figure(figure, image, line, hidden)
    assert canvas.artists[:3] == [image, line, hidden]
    assert set(canvas.artists[3:]) == {
        *ax_image.spines.values(),
        *ax_line.spines.values(),
        *ax_off.spines.values(),
    }
    for value in (-0.9, 0.4, 1.0):
        image.set_data(np.full((4, 4), value))
        line.set_ydata([value, 1 - value])
        hidden.set_data(np.eye(3) * abs(value))
        assert np.array_equal(png_pixels(figure), full_drawing(figure)), value
    canvas.artists = [line]  # no longer listed: the image and its frame are background again
    assert not image.get_animated() and not any(s.get_animated() for s in ax_image.spines.values())
    assert np.array_equal(png_pixels(figure), full_drawing(figure))


def test_live_figure_takes_views_and_keeps_an_existing_canvas():
    figure, ax = viz.new_figure(6, 3)
    view = vs.JacobianNormView(ax, max_steps=20)
    view.show(-np.arange(20.0), -0.5 * np.arange(20.0))
    canvas = live_figure(figure, view)
    assert canvas.artists[: len(view.artists)] == view.artists  # then the frame over them
    assert live_figure(figure, view.artists[:2]) is canvas
    assert canvas.artists[:2] == view.artists[:2]
    assert not view.artists[2].get_animated()  # no longer redrawn: back in the background
    with pytest.raises(TypeError, match="matplotlib artist"):
        live_figure(figure, "not an artist")


def test_a_panel_redraws_only_its_artists_and_matches_a_full_drawing():
    figure, update, artists = two_axes_figure()
    fixed = Counting(figure.axes[0].get_lines()[0])
    a_slider = slider("a", 0.25, 1.75, 0.5, step=0.25)  # the marker stays off the frame
    panel = Panel({"a": a_slider}, update, figure, artists=artists)
    assert isinstance(figure.canvas, BlitCanvas)
    assert figure.canvas.artists[: len(artists)] == artists  # then the line axes' frame
    for a in (0.25, 1.25, 1.75):
        panel.set(a=a)
        assert not panel.unexpected_errors
        assert np.array_equal(pixels(panel.image.value), full_drawing(figure, artists)), a
    assert figure.canvas.full_draws == 1
    assert fixed.count == 1 + 3  # the background, then the three full drawings of this test


def test_a_panel_without_artists_freezes_its_layout_after_the_first_drawing():
    figure, update, _ = two_axes_figure()
    Panel({"a": slider("a", 0.0, 2.0, 0.5, step=0.25)}, update, figure)
    assert figure.get_layout_engine() is None
    assert not isinstance(figure.canvas, BlitCanvas)


def test_the_old_keyword_animated_still_works_with_a_warning():
    figure, update, artists = two_axes_figure()
    with pytest.warns(DeprecationWarning, match="artists="):
        panel = Panel({"a": slider("a", 0.0, 2.0, 0.5)}, update, figure, animated=artists)
    assert panel.artists == artists
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Panel({"a": slider("a", 0.0, 2.0, 0.5)}, update, figure, artists=artists)


def test_the_sliding_stepper_uses_the_same_canvas():
    examples = {
        "edge": {"image": np.arange(25.0).reshape(5, 5), "kernel": np.eye(3)},
        "small": {"image": np.ones((3, 3)), "kernel": np.ones((2, 2)), "padding": 1},
    }
    figure, ax = viz.new_figure(6, 2.2)
    stepper = SlidingWindowStepper(figure, ax, examples)
    assert figure.canvas is stepper.canvas and isinstance(stepper.canvas, BlitCanvas)
    stepper.show("edge", 0)
    freeze_layout(figure)
    for name, position, flip in (("edge", 3, False), ("edge", 3, True), ("small", 5, False)):
        stepper.show(name, position, flip)
        assert set(stepper.diagram.artists) <= set(stepper.canvas.artists)
        live = png_pixels(figure)
        assert np.array_equal(live, full_drawing(figure, stepper.diagram.artists)), name


# --- the sequence views (notebooks 12-14 call vs.live_figure) ------------------------------


def test_freeze_layout_keeps_the_first_layout():
    fig, ax = viz.new_figure(4, 3)
    ax.plot([0, 1], [0, 1])
    freeze_layout(fig)
    assert fig.get_layout_engine() is None
    frozen = ax.get_position().bounds
    assert frozen != pytest.approx((0.125, 0.11, 0.775, 0.77))  # constrained, not the default
    ax.set_ylabel("a much longer label that constrained layout would make room for")
    viz.figure_png(fig)
    assert ax.get_position().bounds == pytest.approx(frozen)


def test_a_sequence_view_drawn_live_matches_a_full_drawing():
    def make():
        fig, ax = viz.new_figure(6, 3)
        view = vs.JacobianNormView(ax, max_steps=40)
        view.show(-2.0 * np.arange(40.0), -1.0 * np.arange(40.0))
        return fig, view

    reference_figure, _ = make()
    freeze_layout(reference_figure)
    reference = png_pixels(reference_figure)

    figure, view = make()
    canvas = vs.live_figure(figure, view)
    assert isinstance(figure.canvas, BlitCanvas) and canvas is figure.canvas
    assert all(artist.get_animated() for artist in view.artists)
    view.show(5.0 * np.arange(40.0), np.arange(40.0))  # other limits, then back
    png_pixels(figure)
    view.show(-2.0 * np.arange(40.0), -1.0 * np.arange(40.0))
    live = png_pixels(figure)
    assert live.shape == reference.shape
    differing = np.any(np.abs(live - reference) > 8, axis=-1).mean()
    assert differing < 0.01  # only where stacking order differs (lines under the legend)
    # the measured line really is drawn: blue pixels are present
    blue = np.array([int(viz.ACCENT[i : i + 2], 16) for i in (1, 3, 5)])
    assert np.any(np.all(np.abs(live - blue) < 30, axis=-1))


def test_blit_canvas_reuses_backgrounds_until_the_axes_change():
    fig, ax = viz.new_figure(6, 3.5)
    view = vs.JacobianNormView(ax, max_steps=30, legend=False)
    view.show(-1.0 * np.arange(30.0), -0.5 * np.arange(30.0))
    canvas = vs.live_figure(fig, view)
    viz.figure_png(fig)
    viz.figure_png(fig)
    assert len(canvas._backgrounds) == 1
    view.show(-0.9 * np.arange(30.0), -0.5 * np.arange(30.0))  # same snapped limits
    viz.figure_png(fig)
    assert len(canvas._backgrounds) == 1
    view.show(-10.0 * np.arange(30.0), -0.5 * np.arange(30.0))  # new limits: a new background
    viz.figure_png(fig)
    assert len(canvas._backgrounds) == 2
    canvas.forget()
    assert len(canvas._backgrounds) == 0


def bptt_terms(steps, scale=0.9):
    """Term sizes that fade by ``scale`` per step back (rows t, columns k <= t)."""
    gaps = np.subtract.outer(np.arange(steps), np.arange(steps))
    return np.where(gaps >= 0, scale ** np.maximum(gaps, 0), 0.0)


@pytest.mark.parametrize("with_row", [False, True], ids=["map", "map and row"])
def test_listed_axis_objects_draw_new_ticks_over_one_base(with_row):
    """A new sequence length moves the ticks: only they are drawn again, over a kept base."""
    if with_row:
        figure, (ax_map, ax_row) = viz.new_figure(9, 3.4, 1, 2)
    else:
        (figure, ax_map), ax_row = viz.new_figure(6.2, 4.6), None
    view = vs.ContributionView(ax_map, ax_row, max_steps=20, first_step=1)
    view.show(bptt_terms(12), 5, 3)
    colour_bar_ticks = Counting(figure.axes[-1].yaxis)  # fixed: drawn into the base only
    map_ticks = Counting(ax_map.xaxis)
    canvas = live_figure(figure, view)
    assert ax_map.xaxis in canvas.artists and ax_map.yaxis in canvas.artists
    settings = [(13, 0.9, 5), (14, 0.5, 9), (20, 1.5, 20), (13, 0.9, 5), (2, 0.9, 1), (14, 0.5, 9)]
    for steps, scale, t in settings:
        view.show(bptt_terms(steps, scale), t, 3)
        live = png_pixels(figure)
        assert np.array_equal(live, full_drawing(figure, canvas.artists)), steps
    assert canvas.full_draws == 1  # the rest of the figure was drawn once
    # each new length drew the ticks once (12, 13, 14, 20, 2), plus one per full drawing
    assert map_ticks.count == 5 + len(settings)
    assert colour_bar_ticks.count == 1 + len(settings)
    assert len(canvas._backgrounds) == 5 and len(canvas._bases) == 1


def test_a_listed_axis_counts_its_limits_and_forget_drops_bases_too():
    figure, update, artists = two_axes_figure()
    ax_line = figure.axes[0]
    # What moves with the y limits: the fixed curve and the frame the ticks meet.
    moving = [ax_line.get_lines()[0], *ax_line.spines.values(), ax_line.yaxis]
    canvas = live_figure(figure, [*artists, *moving])
    viz.figure_png(figure)
    ax_line.set_ylim(-3, 3)  # only the listed axis moved: same base, new background
    update(2.5)
    assert np.array_equal(png_pixels(figure), full_drawing(figure, canvas.artists))
    assert canvas.full_draws == 1 and len(canvas._backgrounds) == 2
    ax_line.set_xlim(0, 2)  # an unlisted axis with ticks moved: a new base
    assert np.array_equal(png_pixels(figure), full_drawing(figure, canvas.artists))
    assert canvas.full_draws == 2 and len(canvas._bases) == 2
    canvas.forget()
    assert not canvas._backgrounds and not canvas._bases
    canvas.artists = artists  # no longer listed: drawn into the background again
    assert not any(artist.get_animated() for artist in (moving[0], ax_line.yaxis))
    # (the frame stays live: the canvas adds it itself, since it lies over the marker)
    assert all(spine.get_animated() for spine in ax_line.spines.values())
    assert np.array_equal(png_pixels(figure), full_drawing(figure, artists))
    assert canvas.full_draws == 3 and not canvas._bases


def test_switched_parts_are_kept_per_combination_and_match_a_full_drawing():
    """An unrolled network only shows or hides its parts: one picture per setting."""
    figure, ax = viz.new_figure(9.5, 3.4)
    view = vs.UnrolledView(ax, max_steps=6)
    view.show(3, "many-to-one")
    first_box = Counting(view.boxes["h"][0])
    canvas = live_figure(figure, view)  # takes the view's .switched too
    assert canvas.switched == view.switched and canvas.artists == []
    assert not any(artist.get_animated() for artist in view.switched)
    settings = [(4, "many-to-one"), (3, "many-to-one"), (6, "one-to-many"), (4, "many-to-one")]
    for steps, architecture in settings:
        view.show(steps, architecture)
        assert np.array_equal(png_pixels(figure), full_drawing(figure, [])), (steps, architecture)
    # one full drawing per new combination (3, 4 and 6 steps), none for the revisits;
    # full_drawing() draws it once more per setting
    assert canvas.full_draws == 3 and len(canvas._backgrounds) == 3
    assert first_box.count == 3 + len(settings)
    view.boxes["h"][0].set_visible(False)  # a switched part hidden: a new combination
    png_pixels(figure)
    assert canvas.full_draws == 4


def test_exercise_panel_finds_a_live_picture_that_differs_from_a_full_drawing():
    from lecturelib.drawing.panel import exercise_panel

    def make(line_zorder):
        figure, ax = viz.new_figure(4, 3)
        image = ax.imshow(np.zeros((4, 4)), cmap=viz.GREY, vmin=0, vmax=1, zorder=2)
        ax.plot([-0.5, 3.5], [-0.5, 3.5], color=viz.ACCENT, lw=3, zorder=line_zorder)  # fixed

        def update(level):
            image.set_data(np.full((4, 4), level))

        panel = Panel({"level": slider("level", 0.0, 1.0, 0.5, step=0.25)}, update, figure,
                      artists=[image])  # fmt: skip
        return panel, image

    over, _ = make(line_zorder=3)  # the fixed line lies over the image: not listed, so covered
    report = exercise_panel(over, combinations=0, check_pictures=True)
    assert report["picture_differences"] and "level=" in report["picture_differences"][0]
    canvas = over._live_canvas
    assert canvas.full_drawing_difference() > 0  # the last live picture, at the start value
    assert canvas.full_drawing_difference() == 0  # the canvas now holds the full drawing
    under, image = make(line_zorder=1)
    assert exercise_panel(under, combinations=0, check_pictures=True)["picture_differences"] == []
    assert exercise_panel(under, combinations=0)["picture_differences"] == []  # not checked
    assert image.get_animated()  # still live after the checks
