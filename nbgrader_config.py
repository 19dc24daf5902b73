"""nbgrader settings for this course (read by nbgrader and by `make student`).

The source notebooks mark every worked solution as an nbgrader solution cell
with ``### BEGIN SOLUTION`` / ``### END SOLUTION``. In the student version
that region becomes the stub below: a comment, not nbgrader's default
``raise NotImplementedError()``, because the student writes the function in
the exercise cell above and this cell only checks it again, so that "Run
all" goes through on a notebook nobody has started.
"""

c = get_config()  # noqa: F821 (nbgrader runs this file with get_config defined)

c.ClearSolutions.code_stub = {
    "python": "# (Not in the student version: this cell checks the function you wrote above again.)"
}
