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


def test_make_test_checks_the_system_packages_before_anything_else():
    """`make test` runs scripts/system-packages before it sets up the environment and before
    pytest (so a machine without Chromium or PostgreSQL stops at once, not as test errors)."""
    import subprocess

    plan = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.splitlines()
    first = next(i for i, line in enumerate(plan) if "scripts/system-packages" in line)
    later = [i for i, line in enumerate(plan) if "pip install" in line or "pytest" in line]
    assert later and first < min(later), plan


def test_missing_system_packages_stop_at_once_with_one_line():
    """Without Chromium and without root (so nothing can be installed), the script exits 1 within
    seconds with one line naming the command to run, and starts nothing."""
    import os
    import shutil
    import subprocess
    import tempfile

    folder = tempfile.mkdtemp()           # readable by the unprivileged user below
    os.chmod(folder, 0o755)
    try:
        script = shutil.copy(ROOT / "scripts" / "system-packages", folder)
        command = [script]
        if os.geteuid() == 0:             # run it as `nobody`: no apt, no install
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", script]
        result = subprocess.run(command, env=dict(os.environ, CHROMIUM=f"{folder}/no-chromium"),
                                capture_output=True, text=True, timeout=30)
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 1 and not result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "apt-get install" in lines[0] and "chromium" in lines[0], lines[0]


def test_make_quick_leaves_out_only_test_files_that_exist():
    """`make quick` ignores the slow test files by name: each name must be a file in tests/ (a
    renamed file would otherwise slip into the quick loop unnoticed)."""
    makefile = (ROOT / "Makefile").read_text()
    names = re.search(r"^SLOW_TESTS := (.*?)(?<!\\)$", makefile, re.M | re.S).group(1)
    names = names.replace("\\\n", " ").split()
    assert names and all((ROOT / "tests" / f"{name}.py").is_file() for name in names), names
