"""The pure parts of `make hub-test` (tools/hub_test.py), without starting a hub.

No pip, no network, no accounts: the summary line, the cleanup order, the generated hub
configuration, the lesson plan against the real notebooks, and the bookkeeping of a
learner's processes read from this test's own /proc entries.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from tools import hub_test as ht

ROOT = Path(__file__).resolve().parent.parent


def settings(tmp_path: Path, real_users: bool = True, root: bool = True) -> ht.HubSettings:
    return ht.HubSettings(
        workdir=tmp_path,
        venv=tmp_path / "venv",
        kit=ROOT,
        proxy=tmp_path / "configurable-http-proxy",
        learners=("ann", "bo"),
        password="pw",
        admin_token="admin-token",
        culler_token="culler-token",
        ports=(8001, 8002, 8003),
        real_users=real_users,
        homes=tmp_path / "homes",
        run_as_root=root,
    )


def load_config(text: str) -> tuple[Config, dict]:
    config = Config()
    namespace = {"get_config": lambda: config}
    exec(compile(text, "jupyterhub_config.py", "exec"), namespace)
    return config, namespace


def test_summary_line_has_the_bar_format():
    line = ht.summary_line(
        4,
        4,
        1.234 * ht.GIB,
        301.6,
        {"isolation": True, "culling": True, "kernel restart": True},
    )
    assert line == (
        "hub-test: 4 learners, 4 passed, peak 1.23 GiB per learner, class wall 302 s, "
        "isolation ok, culling ok, kernel restart ok"
    )


def test_summary_line_names_failed_and_skipped_checks():
    line = ht.summary_line(2, 1, 0, 10, {"isolation": False, "culling": None})
    assert line.endswith("isolation FAILED, culling not run")
    assert "2 learners, 1 passed" in line


def test_cleanup_runs_every_step_last_first_even_after_errors():
    done = []
    cleanup = ht.Cleanup()
    cleanup.add("folder", lambda: done.append("folder"))
    cleanup.add("accounts", lambda: 1 / 0)
    cleanup.add("hub", lambda: done.append("hub"))
    cleanup.add("interrupted", lambda: (_ for _ in ()).throw(KeyboardInterrupt()))
    errors = cleanup.run()
    assert done == ["hub", "folder"]
    assert [e.split(":")[0] for e in errors] == ["interrupted", "accounts"]
    assert cleanup.run() == [] and done == ["hub", "folder"]  # each step runs once


def test_stop_process_ends_a_process_that_ignores_sigterm():
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); signal.sigtimedwait([signal.SIGUSR1], 600)",
        ],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert stubborn.stdout.readline() == b"ready\n"
    said = []
    ht.stop_process(stubborn, "stubborn", 0.5, said.append)
    assert stubborn.poll() is not None
    assert not ht.pid_alive(stubborn.pid)
    assert said == ["   stubborn did not stop in 0 s: SIGKILL"]


def test_stop_pid_file_ignores_a_missing_or_finished_process(tmp_path):
    ht.stop_pid_file(tmp_path / "absent.pid", "proxy")
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / "old.pid").write_text(done.stdout)
    said = []
    ht.stop_pid_file(tmp_path / "old.pid", "proxy", said.append)
    assert said == []


def test_hub_config_listens_on_loopback_only_with_the_kits_environment(tmp_path):
    config, _ = load_config(ht.hub_config(settings(tmp_path)))
    hub = config.JupyterHub
    assert hub.bind_url == "http://127.0.0.1:8001"
    assert hub.hub_ip == "127.0.0.1" and hub.hub_port == 8002
    assert config.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8003"
    assert hub.db_url == f"sqlite:///{tmp_path}/jupyterhub.sqlite"
    assert hub.spawner_class == "localprocess"
    assert config.Spawner.cmd == [str(tmp_path / "venv" / "bin" / "jupyterhub-singleuser")]
    assert config.Spawner.args == []  # real users: no server runs as root
    assert config.Spawner.default_url.endswith("notebooks/01-sequential-to-functional.ipynb")
    assert config.Authenticator.allowed_users == {"ann", "bo"}


def test_hub_config_gives_each_service_only_its_scopes(tmp_path):
    config, _ = load_config(ht.hub_config(settings(tmp_path)))
    tokens = {s["name"]: s["api_token"] for s in config.JupyterHub.services}
    assert tokens == {"hub-test": "admin-token", "idle-culler": "culler-token"}
    roles = {r["name"]: r for r in config.JupyterHub.load_roles}
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    assert set(roles["idle-culler"]["scopes"]) == {
        "list:users",
        "read:users:activity",
        "read:servers",
        "delete:servers",
    }


def test_hub_config_simple_spawner_allows_root_only_then(tmp_path):
    config, _ = load_config(ht.hub_config(settings(tmp_path, real_users=False)))
    assert config.JupyterHub.spawner_class == "simple"
    assert config.Spawner.args == ["--allow-root"]
    assert config.SimpleLocalProcessSpawner.home_dir_template == f"{tmp_path}/homes/{{username}}"
    config, _ = load_config(ht.hub_config(settings(tmp_path, real_users=False, root=False)))
    assert config.Spawner.args == []


def test_pre_spawn_hook_copies_the_lessons_once(tmp_path):
    config, _ = load_config(ht.hub_config(settings(tmp_path, real_users=False)))

    class FakeSpawner:
        class user:
            name = "ann"

    config.Spawner.pre_spawn_hook(FakeSpawner())
    copy = tmp_path / "homes" / "ann" / "beyond-sequential"
    assert sorted(p.name for p in (copy / "notebooks").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    assert (copy / "lessons" / "01-sequential-to-functional.md").is_file()
    (copy / "notebooks" / "mine.txt").write_text("a learner's work")
    config.Spawner.pre_spawn_hook(FakeSpawner())  # a second start keeps it
    assert (copy / "notebooks" / "mine.txt").read_text() == "a learner's work"


@pytest.mark.parametrize("plan", [ht.FULL_PLAN, ht.LIGHT_PLAN], ids=["full", "light"])
def test_every_planned_step_finds_its_cells_in_the_notebooks(plan):
    for step in plan:
        notebook = json.loads((ROOT / "notebooks" / step.notebook).read_text())
        cells = ht.plan_cells(notebook, step)
        assert "set_seed(0)" in cells[0][0]  # the set-up cell comes first
        if step.markers:
            assert len(cells) == len(step.markers) + 1


def test_the_light_plan_trains_one_model_and_the_full_plan_all_of_lesson_01():
    light = ht.plan_cells(
        json.loads((ROOT / "notebooks" / ht.LIGHT_PLAN[0].notebook).read_text()), ht.LIGHT_PLAN[0]
    )
    assert sum(".fit(" in src for src, _ in light) == 1
    full = ht.plan_cells(
        json.loads((ROOT / "notebooks" / ht.FULL_PLAN[0].notebook).read_text()), ht.FULL_PLAN[0]
    )
    assert sum(raises for _, raises in full) == 1  # the disconnected-graph cell must fail


def test_plan_cells_refuses_a_marker_that_matches_nothing():
    notebook = {"cells": [{"cell_type": "code", "source": "setup()"}]}
    with pytest.raises(ValueError, match=r"no code cell begins with .train\(."):
        ht.plan_cells(notebook, ht.Step("x.ipynb", ("train(",)))


def test_env_key_changes_with_the_requirements(tmp_path):
    for name in ht.ENV_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    before = ht.env_key(tmp_path, "3.11.2")
    assert ht.env_key(tmp_path, "3.11.2") == before
    assert ht.env_key(tmp_path, "3.11.9") != before
    (tmp_path / "requirements.txt").write_text("numpy==2.4.6\n")
    assert ht.env_key(tmp_path, "3.11.2") != before


def test_process_watch_finds_a_learners_processes_by_environment():
    child = subprocess.Popen(
        # "ipykernel" on its command line: counted as a kernel, CPU time included
        [
            sys.executable,
            "-c",
            "print('ready', flush=True); import signal; signal.sigtimedwait([signal.SIGUSR1], 600)",
            "ipykernel",
        ],
        env=dict(os.environ, JUPYTERHUB_USER="ann"),
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline() == b"ready\n"
        watch = ht.ProcessWatch(["ann", "bo"], uids=None)
        assert watch.pids() == {child.pid: "ann"}
        watch.sample()
        ann = watch.usage["ann"]
        assert ann.peak_total > 0 and ann.peak_kernel > 0 and ann.peak_server == 0
        assert list(ann.cpu) == [child.pid]
        assert watch.usage["bo"].peak_total == 0
    finally:
        child.kill()
        child.wait()
    assert watch.pids() == {}
