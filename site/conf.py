"""Sphinx configuration of the course site. Run by `workbook site` (make site), which first
assembles the page sources in a temporary folder (utils/workbook/site.py): see docs/site.md."""

from utils.workbook import link, site

info = site.site_info()
publish = link.publish_config()

project = info["title"]
author = "the course's authors"
html_title = info["title"]
language = "en"

extensions = ["myst_nb", "utils.workbook.site"]
workbook_solutions = info["solutions"]

# The notebooks' outputs are stored (and checked by nbval): never execute them here.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 4  # docs/*.md link to their own headings (#results-that-persist-...)
suppress_warnings = ["myst.header"]  # a notebook's first cell is its title; sections may start at ###

# Offline: MathJax is the npm package's copy (copied into _static/mathjax by the builder),
# no intersphinx, no analytics, no fonts from the web.
mathjax_path = "mathjax/tex-chtml.js"
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["workbook.css"]
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico, which is not there
templates_path = ["_templates"]
html_copy_source = False
html_show_sourcelink = False
html_show_sphinx = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": publish["repository"],
    "repository_branch": publish["branch"],
    "use_repository_button": True,
    "use_download_button": False,  # the download link of a page is its student notebook (the launch bar)
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "navbar_persistent": [],  # no header bar: the search field is in the sidebar (pydata adds one by default)
}
html_context = {"default_mode": "light"}
