"""The static export of every notebook, audited with axe-core.

Each notebook is exported with nbconvert's lab template (the HTML a student
gets from File > Save and Export Notebook As > HTML) and opened from a local
file, with every request to the network refused (the export links MathJax and
the widget manager from a CDN; without them the saved panels do not render,
and the figures, prose and outputs are what is audited). No critical or
serious WCAG 2.1 AA violation may come from the collection's content; the
code cells and prompts (nbconvert's template) are left out of the audit.
"""

from __future__ import annotations

import pytest
from a11y import audit, describe, failing

from conftest import A11Y, ROOT

# The code cells and prompts of the export are nbconvert's template (its colours
# fail contrast on about 2,300 nodes over the collection, a known finding listed
# in the README); leaving them out keeps this test to a few seconds a notebook.
TEMPLATE_CODE = (".jp-InputArea", ".jp-OutputPrompt")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_static_export(path, browser, exporter, tmp_path):
    body, _ = exporter.from_filename(str(path))
    page_file = tmp_path / f"{path.stem}.html"
    page_file.write_text(body, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.route("http*://**", lambda route: route.abort())
        page.goto(page_file.as_uri(), wait_until="load")
        findings = audit(page, path.stem, skip=TEMPLATE_CODE)
        A11Y["static export"][path.stem] = findings
        bad = failing(findings)
        assert not bad, f"{path.stem}, static export: violations\n{describe(bad)}"
        # nbconvert's stand-in alt passes axe, but says nothing.
        images = page.locator(".jp-OutputArea-output img")
        for i in range(images.count()):
            alt = images.nth(i).get_attribute("alt") or ""
            assert alt and "No description has been provided" not in alt, (
                f"{path.stem}: figure {i} has no text alternative"
            )
    finally:
        page.close()
