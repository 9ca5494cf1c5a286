"""Links that open a notebook of the course without installing it: a class JupyterHub through
nbgitpuller, Binder and Colab (``workbook link``; the course site's launch buttons).

Where the course is published (the repository, its branch, the hub, Binder's and Colab's
addresses) is configured in one place, ``[tool.workbook.publish]`` of ``pyproject.toml``;
every link is made here from it.

    workbook link 01                                   # the hub link (the hub of pyproject.toml)
    workbook link --hub https://hub.school.edu 01_feedforward
    workbook link --to colab notebooks/08_char_lm.ipynb
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from urllib.parse import quote, urlsplit, urlencode

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TARGETS = ("hub", "binder", "colab")


class LinkError(ValueError):
    """A notebook or a published address that a link cannot be made from."""


def publish_config(root: Path = ROOT) -> dict:
    """``[tool.workbook.publish]`` of pyproject.toml, plus ``version`` (the project's) and
    ``release`` (the tag Colab installs from: "v" + version)."""
    path = Path(root) / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LinkError(f"{path} is missing: links are made from a clone of the course") from None
    config = dict(data.get("tool", {}).get("workbook", {}).get("publish", {}))
    missing = [k for k in ("repository", "branch", "hub", "binder", "colab") if not config.get(k)]
    if missing:
        raise LinkError(f"{path}: [tool.workbook.publish] lacks {', '.join(missing)}")
    config["version"] = data["project"]["version"]
    config["release"] = "v" + config["version"]
    return config


def github_path(repository: str) -> tuple[str, str]:
    """("owner", "name") of a https://github.com/owner/name repository (Binder and Colab need it)."""
    parts = urlsplit(repository)
    segments = [s for s in parts.path.split("/") if s]
    if parts.netloc.lower() != "github.com" or len(segments) != 2:
        raise LinkError(f"{repository!r} is not a GitHub repository (https://github.com/OWNER/NAME): "
                        "Binder's gh/ and Colab's github/ routes need one")
    owner, name = segments
    return owner, name.removesuffix(".git")


def repository_folder(repository: str) -> str:
    """The folder nbgitpuller clones the repository into: the last part of its address."""
    name = [s for s in urlsplit(repository).path.split("/") if s]
    if not name:
        raise LinkError(f"{repository!r} has no repository name in its path")
    return name[-1].removesuffix(".git")


def notebook_path(notebook: str, notebooks: Path = NOTEBOOKS) -> str:
    """``notebooks/NN_name.ipynb`` for "NN", "NN_name", "NN_name.ipynb" or a path to it."""
    stem = Path(str(notebook)).name.removesuffix(".ipynb")
    names = sorted(p.name for p in Path(notebooks).glob("*.ipynb"))
    matches = [n for n in names if n == stem + ".ipynb" or (stem.isdigit() and n.startswith(stem + "_"))]
    if len(matches) != 1:
        raise LinkError(f"no notebook of the course is called {notebook!r}; the notebooks are: "
                        + ", ".join(n.removesuffix(".ipynb") for n in names))
    return f"notebooks/{matches[0]}"


def hub_link(path: str, hub: str, repository: str, branch: str) -> str:
    """The nbgitpuller link: the hub pulls (or updates) the student's copy, then opens the notebook in JupyterLab.

    The link names the copy's folder (``targetpath``): nbgitpuller's own default keeps a ``.git``
    ending of the address, which the notebook's path would then miss.
    """
    folder = repository_folder(repository)
    query = urlencode({"repo": repository, "branch": branch, "targetpath": folder,
                       "urlpath": f"lab/tree/{folder}/{path}"}, quote_via=quote, safe="/")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def binder_link(path: str, binder: str, repository: str, branch: str) -> str:
    owner, name = github_path(repository)
    return f"{binder.rstrip('/')}/v2/gh/{owner}/{name}/{quote(branch, safe='')}?urlpath={quote('lab/tree/' + path, safe='')}"


def colab_link(path: str, colab: str, repository: str, branch: str) -> str:
    owner, name = github_path(repository)
    return f"{colab.rstrip('/')}/github/{owner}/{name}/blob/{quote(branch, safe='')}/{path}"


def link(notebook: str, to: str = "hub", hub: str | None = None, root: Path = ROOT) -> str:
    """The link that opens ``notebook`` on ``to`` ("hub", "binder" or "colab")."""
    if to not in TARGETS:
        raise LinkError(f"--to must be one of {', '.join(TARGETS)}, not {to!r}")
    config = publish_config(root)
    path = notebook_path(notebook, Path(root) / "notebooks")
    if to == "hub":
        hub = hub or config["hub"]
        if urlsplit(hub).scheme not in ("http", "https") or not urlsplit(hub).netloc:
            raise LinkError(f"--hub must be the hub's address, such as https://hub.school.edu, not {hub!r}")
        return hub_link(path, hub, config["repository"], config["branch"])
    make = binder_link if to == "binder" else colab_link
    return make(path, config[to], config["repository"], config["branch"])


def add_arguments(parser) -> None:
    parser.add_argument("notebook", help="the notebook: 01, 01_feedforward or notebooks/01_feedforward.ipynb")
    parser.add_argument("--hub", help="the class hub's address (default: `hub` of [tool.workbook.publish])")
    parser.add_argument("--to", choices=TARGETS, default="hub",
                        help="hub (nbgitpuller, the default), binder or colab")


def run(args) -> int:
    if args.hub and args.to != "hub":
        print("workbook link: --hub goes with --to hub", file=sys.stderr)
        return 2
    try:
        print(link(args.notebook, to=args.to, hub=args.hub))
    except LinkError as e:
        print(f"workbook link: {e}", file=sys.stderr)
        return 2
    return 0
