"""`workbook link`: the nbgitpuller, Binder and Colab links, made from [tool.workbook.publish]."""

from urllib.parse import parse_qs, urlsplit

import pytest

from utils.workbook import cli, link


def test_hub_link_is_an_nbgitpuller_link_to_the_notebook_in_the_pulled_folder():
    url = link.link("01", hub="https://hub.school.edu/")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.school.edu", "/hub/user-redirect/git-pull")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    config = link.publish_config()
    folder = link.repository_folder(config["repository"])
    assert query == {"repo": config["repository"], "branch": config["branch"], "targetpath": folder,
                     "urlpath": f"lab/tree/{folder}/notebooks/01_feedforward.ipynb"}


def test_a_repository_address_ending_in_git_pulls_into_the_folder_the_link_opens():
    url = link.hub_link("notebooks/01_feedforward.ipynb", "https://hub.school.edu", "https://git.school.edu/ml/workbook.git", "main")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["targetpath"] == "workbook"
    assert query["urlpath"] == "lab/tree/workbook/notebooks/01_feedforward.ipynb"


def test_binder_and_colab_links_name_the_repository_branch_and_notebook():
    config = link.publish_config()
    owner, name = link.github_path(config["repository"])
    binder = link.link("08_char_lm", to="binder")
    assert binder.startswith(f"{config['binder']}/v2/gh/{owner}/{name}/{config['branch']}?urlpath=")
    assert parse_qs(urlsplit(binder).query)["urlpath"] == ["lab/tree/notebooks/08_char_lm.ipynb"]
    assert link.link("notebooks/12_captioning.ipynb", to="colab") == (
        f"{config['colab']}/github/{owner}/{name}/blob/{config['branch']}/notebooks/12_captioning.ipynb")


@pytest.mark.parametrize("notebook", ["01", "01_feedforward", "01_feedforward.ipynb", "notebooks/01_feedforward.ipynb"])
def test_a_notebook_may_be_named_by_number_stem_or_path(notebook):
    assert link.notebook_path(notebook) == "notebooks/01_feedforward.ipynb"


def test_bad_input_gets_a_clear_message(capsys):
    assert cli.main(["link", "13"]) == 2
    assert "no notebook of the course is called '13'" in capsys.readouterr().err
    assert cli.main(["link", "--hub", "hub.school.edu", "01"]) == 2
    assert "--hub must be the hub's address" in capsys.readouterr().err
    assert cli.main(["link", "--to", "colab", "--hub", "https://x.org", "01"]) == 2
    with pytest.raises(link.LinkError, match="not a GitHub repository"):
        link.github_path("https://gitlab.com/a/b")


def test_the_cli_prints_the_hub_link(capsys):
    assert cli.main(["link", "--hub", "https://hub.school.edu", "05"]) == 0
    assert capsys.readouterr().out.strip() == link.link("05", hub="https://hub.school.edu")


def test_the_teachers_page_shows_the_link_workbook_link_prints():
    page = (link.ROOT / "docs" / "jupyterhub.md").read_text(encoding="utf-8")
    assert link.link("01", hub="https://hub.school.edu") in page
