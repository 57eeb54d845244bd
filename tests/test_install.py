"""A new user's install: `pip install .` (a wheel, not editable) into a fresh venv, `perspectives run` from another
folder, offline. It must work, write only what it was asked for, and print nothing but its own output."""

import re
import site
import subprocess
import sys
import venv

import pandas as pd
import pytest

from tests.conftest import DEMO, ROOT

# Progress bars (tqdm's and nncf's) and our own "building <folder> (once ...)" note are expected on stderr.
EXPECTED_STDERR = re.compile(r"^\s*$|%\||━|^building \S+ \(once; later loads reuse it\)$")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv holding only the perspectives wheel; its dependencies come from this test run's environment through
    a .pth file (installing torch and the rest again would take minutes and the same files)."""
    base = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT), "-w", str(base / "wheel")],
                   check=True, capture_output=True, timeout=600)
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (base / "venv" / purelib.removeprefix(str(env_dir) + "/") / "deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n")
    [wheel] = (base / "wheel").glob("perspectives-*.whl")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    return env_dir


@pytest.mark.slow
def test_a_wheel_install_runs_from_any_folder_and_writes_only_what_it_was_asked(installed, tmp_path):
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    # Three of the demo's stories (33 articles): enough for every step, the framing included.
    demo = pd.read_json(DEMO, lines=True, dtype=False)
    news = demo[demo["gold_story"].isin(demo["gold_story"].unique()[:3])]
    news.to_json(tmp_path / "news.jsonl", orient="records", lines=True, force_ascii=False)
    where = subprocess.run([installed / "bin" / "python", "-c", "import perspectives; print(perspectives.__file__)"],
                           cwd=work, check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(installed))  # the wheel, not this checkout
    env = {"PATH": f"{installed / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "PERSPECTIVES_CACHE": str(cache)}
    command = [installed / "bin" / "perspectives", "run", tmp_path / "news.jsonl", "--db", "news.db", "--out", "out"]
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in work.iterdir()) == ["news.db", "out"]
    assert (cache / "models").is_dir()  # the built backend went to the cache asked for
    assert len(pd.read_csv(work / "out" / "articles.csv")) == len(news)
    assert len(pd.read_csv(work / "out" / "takes.csv"))  # the framing ran
    noise = [line for line in re.split(r"[\r\n]", result.stderr) if not EXPECTED_STDERR.search(line)]
    assert noise == []
    lines = result.stdout.splitlines()
    assert all(re.match(r"(loaded |\d+ articles in |story size read |story ids: |wrote )", line) for line in lines)


@pytest.mark.slow
def test_the_wheel_ships_the_country_table(installed, tmp_path):
    code = "from perspectives.desk import country_info; print(country_info('NA', 'continent'))"
    shown = subprocess.run([installed / "bin" / "python", "-c", code], cwd=tmp_path, check=True, capture_output=True,
                           text=True, timeout=300).stdout
    assert shown == "Africa\n"
