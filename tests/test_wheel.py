"""The wheel a user installs works without the checkout: migrations ship, the script runs.

Build: ``python -m build --wheel`` from the project root, with ``--no-isolation`` when the
build backend (hatchling) is importable here, else in build's isolated environment (pip
fetches hatchling from the configured index into a throwaway folder; nothing is installed
into this environment either way).

Install: a fresh venv in tmp gets the wheel with ``--no-deps --no-index``. Its runtime
dependencies come from this environment through a ``.pth`` file naming this environment's
site-packages folder: a plain path line in a ``.pth`` does not make Python process the
``.pth`` files inside that folder, so the checkout's editable install does not leak in
(asserted below). Everything runs with ``cwd=tmp_path`` so the checkout is not on sys.path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""

SHIPPED = (
    "db/migrations/env.py",
    "db/migrations/versions/0001_initial_schema.py",
    "db/migrations/script.py.mako",
    "deskterm/cli/main.py",
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def _build_wheel(outdir: Path) -> Path:
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-isolation")
    result = subprocess.run(
        [*cmd, str(ROOT)], cwd=outdir, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, (
        "building the wheel failed; to build offline, install the backend here "
        f"(pip install 'hatchling>=1.25') so --no-isolation is used\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    wheels = list(outdir.glob("deskterm-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)  # keeps conftest's isolated DESKTERM_CONFIG / XDG folders
    for key in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE"):
        env.pop(key, None)
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_wheel_ships_migrations_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = _build_wheel(dist)

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in SHIPPED if name not in names]
    assert not missing, f"{wheel.name} lacks {missing}"
    assert not any(n.startswith("tests/") for n in names)

    # a fresh venv with the wheel and nothing else of ours
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env_dir)
    python = env_dir / BIN / f"python{EXE}"
    env = _clean_env()
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            str(wheel),
        ],
        cwd=tmp_path,
        env=env,
    )

    # runtime dependencies from this environment, without processing its .pth files
    new_site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path,
            env=env,
        ).stdout.strip()
    )
    here = sysconfig.get_paths()
    deps = dict.fromkeys([here["purelib"], here["platlib"]])  # ordered, unique
    (new_site / "zz_deskterm_test_deps.pth").write_text("\n".join(deps) + "\n")

    where = json.loads(
        _run(
            [
                str(python),
                "-c",
                "import json, sys, db, deskterm, deskterm.cli.main, sqlalchemy, alembic\n"
                "print(json.dumps({'deskterm': deskterm.__file__, 'db': db.__file__,"
                " 'path': sys.path}))",
            ],
            cwd=tmp_path,
            env=env,
        ).stdout
    )
    for module in ("deskterm", "db"):
        assert Path(where[module]).resolve().is_relative_to(env_dir.resolve()), where
    assert str(ROOT) not in where["path"], "the checkout leaked onto sys.path"

    script = env_dir / BIN / f"deskterm{EXE}"
    assert script.exists()
    database = tmp_path / "x.sqlite3"
    init = _run([str(script), "--db", str(database), "init"], cwd=tmp_path, env=env)
    assert database.is_file()
    assert init.stdout.strip() == str(database)
    assert "created" in init.stderr
    check = _run([str(script), "--db", str(database), "check"], cwd=tmp_path, env=env)
    assert check.stdout.startswith("ok")
