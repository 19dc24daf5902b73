"""The fast paths: vectorised numpy versions of the lesson's operations.

The modules at the top of :mod:`lecturelib` are the lesson: each operation is
written first as the lecture writes it (loops over output positions and
kernel taps, forward and backward side by side), then as a short public
function that checks its arguments and calls the fast path kept here.
The fast paths compute the same numbers with a few large array operations
(im2col, strided windows, chunked buffers), which is what makes training in
the notebooks take seconds instead of minutes. Each one is tested equal to its
readable reference on seeded random cases (tests/test_convolution_references.py
for :mod:`lecturelib.fast.convolution`).

Nothing here checks arguments: call the public functions of the lesson modules.
"""
