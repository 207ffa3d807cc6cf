"""environment.yml (conda) and pyproject.toml (pip) describe one environment; the README leads
with the two commands, and CI runs the README's test command."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def normalize(requirement):
    """'Name >= 1.0, <2' -> ('name', '<2,>=1.0'); pip extras are dropped ('psycopg[binary]' is
    conda's 'psycopg')."""
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*)$", requirement)
    name, spec = match.group(1), match.group(2)
    return re.sub(r"[-_.]+", "-", name).lower(), ",".join(sorted(spec.replace(" ", "").split(",")))


def pip_dependencies():
    """The [project] dependencies of pyproject.toml (read as text: tomllib needs Python 3.11)."""
    block = re.search(r"^dependencies = \[(.*?)^\]", (ROOT / "pyproject.toml").read_text(), re.M | re.S)
    return re.findall(r'"([^"]+)"', block.group(1))


def conda_dependencies():
    """The packages of environment.yml: the top-level conda packages (not python or pip) and the
    packages of its pip section (not its options such as --editable)."""
    deps, in_deps = [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
        elif in_deps and re.match(r"^  - ", line):
            item = line[4:].split("#")[0].strip()
            if item and not item.startswith("pip") and not item.startswith("python"):
                deps.append(item)
        elif in_deps and re.match(r"^      - ", line):
            item = line.split("- ", 1)[1].split("#")[0].strip()
            if item and not item.startswith("-"):
                deps.append(item)
        elif in_deps and line and not line.startswith(" "):
            in_deps = False
    return deps


def test_conda_and_pip_list_the_same_dependencies():
    pip = sorted(normalize(r) for r in pip_dependencies())
    conda = sorted(normalize(r) for r in conda_dependencies())
    assert pip == conda
    assert {"jupyterlab", "numpy", "matplotlib", "nbgrader", "ipywidgets", "pytest"} <= dict(pip).keys()
    assert "--editable ." in (ROOT / "environment.yml").read_text()


def test_python_versions_agree():
    assert 'requires-python = ">=3.10"' in (ROOT / "pyproject.toml").read_text()
    assert "python>=3.10" in (ROOT / "environment.yml").read_text()


def test_readme_leads_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash)?\n(.*?)```", readme, re.S).group(1)
    assert "make lab" in first_block and "make test" in first_block
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\s*make test\b", ci, re.M), ".ci/run must run the README's `make test`"
