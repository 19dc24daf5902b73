"""Figures and interactive panels: the only part of lecturelib that imports
matplotlib, ipywidgets or anywidget.

- :mod:`~lecturelib.drawing.figures`   the shared visual vocabulary (colours, matrices,
  small multiples) and :func:`~lecturelib.drawing.figures.show`, which puts a figure in
  a notebook with its alt text and long description; the shared helpers (numbers,
  plain log axes, text drawn as outlines)
- :mod:`~lecturelib.drawing.live`      how every live figure is redrawn: the layout frozen,
  a saved background, only the view's ``artists`` drawn again
- :mod:`~lecturelib.drawing.panel`     :class:`~lecturelib.drawing.panel.Panel` (controls,
  a live figure, a caption, a message area), the control makers, self-check questions,
  and ``set_picture_scale`` for larger pictures on a projector
- :mod:`~lecturelib.drawing.controls`  accessible keyboard-first controls (anywidget)
- one module per topic, named after the lesson it draws: ``sliding``, ``arithmetic``,
  ``kernels``, ``connections``, ``layer_views``, ``alexnet``, ``family``, ``training``,
  ``depth``, ``pretrain``, ``sequences``, ``gates``, ``cliff``, ``dropout``, ``batchnorm``
"""
