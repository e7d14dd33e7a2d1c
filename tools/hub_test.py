"""A class on one JupyterHub: N learners side by side, isolated, sized by measurement.

Usage: python tools/hub_test.py [--learners N] [--light] [--simple] [--cull-timeout S]

Starts a JupyterHub on 127.0.0.1 only (SQLite, configurable-http-proxy, the dummy
authenticator with a password) whose single-user servers run the kit's environment:
requirements.txt and requirements-hub.txt installed with the system's Python into
``build/hub-test/env-KEY`` (KEY: a hash of the requirements, pyproject.toml, postBuild and
the JupyterLab settings), built once and reused by later runs. Then N learners, at the
same time, each:

1. log in through the hub's login form, and get a token of their own;
2. start a server, which gets its own copy of the lessons (``~/beyond-sequential``);
3. run lesson 01 top to bottom and lesson 04's lab trained once (``--light``: lesson 01's
   set-up cells and one trained model), cell by cell, in their own kernel, over the hub's
   REST API and the kernel's websocket, as a browser does.

Run as root, every learner is a real local user (``useradd``, a 700 home in the temporary
folder) and the hub's ``localprocess`` spawner runs their server and kernels as that user;
otherwise the ``simple`` spawner runs them all as the caller (tokens are isolated, files
are not). While the class runs, the memory and CPU time of every learner's processes are
sampled from ``/proc``. Checked besides: learner A's token cannot read learner B's server,
files or hub record; an unauthenticated request is refused; a learner cannot list another
learner's home from a kernel (real users only); one learner's kernel is killed mid-lesson
(SIGKILL, as an out-of-memory kill does), the learner restarts it and runs the lesson
again while the others finish; at the end the idle culler culls every idle server and
their processes are gone.

Everything it starts it stops, also on failure and Ctrl-C: the hub (which stops its proxy
and the servers), the culler, any process left of a learner, the learners' accounts and the
temporary folder. It ends with one line::

    hub-test: 4 learners, 4 passed, peak 1.10 GiB per learner, class wall 300 s, isolation ok,
    culling ok, kernel restart ok

(one line, folded here).

Timeouts only guard against hangs; speed is reported, never judged.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import pwd
import resource
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "hub-test"
CHP_VERSION = "5.3.0"
ENV_INPUTS = (
    "requirements.txt",
    "requirements-hub.txt",
    "pyproject.toml",
    "postBuild",
    "config/jupyterlab-settings.json",
)
FIRST_LESSON = "beyond-sequential/notebooks/01-sequential-to-functional.ipynb"
GIB = 1024**3


# ---------------------------------------------------------------- the learners' environment


def env_key(root: Path, python_version: str) -> str:
    """A short hash of everything the learners' environment is built from.

    Examples
    --------
    >>> len(env_key(ROOT, "3.11.2"))
    12
    """
    digest = hashlib.sha256(python_version.encode())
    for name in ENV_INPUTS:
        text = (root / name).read_bytes()
        if name.endswith(".txt"):  # a comment in a requirements file changes nothing installed
            lines = (line.split(b"#", 1)[0].strip() for line in text.splitlines())
            text = b"\n".join(line for line in lines if line)
        digest.update(name.encode() + b"\0" + text + b"\0")
    return digest.hexdigest()[:12]


def all_can_execute(path: Path) -> bool:
    """True when every user can run ``path``: the file and every folder above it are ``o+x``."""
    path = Path(os.path.realpath(path))
    for part in [path, *path.parents]:
        if not part.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def find_python(root: Path, need_all_users: bool) -> Path:
    """The interpreter for the learners' environment: runtime.txt's version, runnable by all.

    The project's ``.venv`` may point at a Python inside the caller's home, which the
    learners' accounts cannot execute; Debian's ``/usr/bin/python3.X`` can.
    """
    want = (root / "runtime.txt").read_text().strip().removeprefix("python-")
    want = ".".join(want.split(".")[:2])
    candidates = [Path(f"/usr/bin/python{want}"), Path(f"/usr/local/bin/python{want}")]
    found = shutil.which(f"python{want}")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and (not need_all_users or all_can_execute(candidate)):
            return candidate
    raise SystemExit(
        f"runtime.txt asks for Python {want}: no python{want} that every user can execute "
        f"(tried {', '.join(map(str, candidates))}); install Debian's python{want}"
    )


def copy_tracked_files(root: Path, dest: Path) -> None:
    """Copy the repository's tracked and new (not ignored) files into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = root / os.fsdecode(name)
        if source.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def build_env(python: Path, log=print) -> tuple[Path, Path]:
    """The learners' environment and the copy of the kit it installs ``helpers`` from.

    Built once per :func:`env_key` under ``build/hub-test/env-KEY``; a later run only
    refreshes the copy of the kit (the lessons and ``helpers``, installed editable).
    """
    version = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version.split()[0])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    home = BUILD / f"env-{env_key(ROOT, version)}"
    venv, kit, done = home / "venv", home / "kit", home / ".installed"
    copy_tracked_files(ROOT, kit)
    if not done.exists():
        for old in BUILD.glob("env-*"):
            if old != home:
                shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(venv, ignore_errors=True)
        log(f"== the learners' environment, Python {version}, from pip's cache: {venv}")
        started = time.perf_counter()
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]
        pip += ["--disable-pip-version-check", "-r", "requirements.txt"]
        pip += ["-r", "requirements-hub.txt"]
        subprocess.run(pip, cwd=kit, check=True)
        env = dict(os.environ, NB_PYTHON_PREFIX=str(venv))
        subprocess.run(["bash", "./postBuild"], cwd=kit, check=True, env=env)
        done.write_text(version + "\n")
        log(f"   built in {time.perf_counter() - started:.0f} s (cached for later runs)")
    else:
        log(f"== the learners' environment (cached): {venv}")
    subprocess.run(["chmod", "-R", "a+rX", str(BUILD)], check=True)
    for part in [BUILD, *BUILD.parents]:  # every user must reach it
        if not part.stat().st_mode & stat.S_IXOTH:
            raise SystemExit(
                f"{part} is not searchable by other users; the learners cannot reach {venv}"
            )
    return venv, kit


def install_proxy(log=print) -> Path:
    """configurable-http-proxy from npm, in ``build/hub-test/node`` (once)."""
    prefix = BUILD / "node"
    proxy = prefix / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        log(f"== configurable-http-proxy {CHP_VERSION} from npm: {prefix}")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                f"configurable-http-proxy@{CHP_VERSION}",
            ],
            check=True,
        )
    return proxy


# ---------------------------------------------------------------- pure parts


def summary_line(
    learners: int,
    passed: int,
    peak_bytes: float,
    class_wall: float,
    checks: dict[str, bool | None],
) -> str:
    """The run's last line: how many learners passed, the peak per learner, the checks.

    A check that did not run (``None``) reads ``not run``.

    Examples
    --------
    >>> line = summary_line(4, 4, 1.2 * GIB, 301.4, {"isolation": True, "culling": False})
    >>> line.split(", ")[2:]
    ['peak 1.20 GiB per learner', 'class wall 301 s', 'isolation ok', 'culling FAILED']
    """
    words = {True: "ok", False: "FAILED", None: "not run"}
    parts = [
        f"hub-test: {learners} learners",
        f"{passed} passed",
        f"peak {peak_bytes / GIB:.2f} GiB per learner",
        f"class wall {class_wall:.0f} s",
    ]
    parts += [f"{name} {words[value]}" for name, value in checks.items()]
    return ", ".join(parts)


class Cleanup:
    """Undo steps, run last-in first-out, each one once, each one whatever the others do.

    ``add`` registers a step as soon as the thing it undoes exists; ``run`` (from a
    ``finally``, so also on failure and Ctrl-C) calls them in reverse and returns the
    errors instead of stopping at the first.

    Examples
    --------
    >>> done = []
    >>> cleanup = Cleanup()
    >>> cleanup.add("first", lambda: done.append(1))
    >>> cleanup.add("second", lambda: done.append(2))
    >>> cleanup.run(), done
    ([], [2, 1])
    """

    def __init__(self) -> None:
        self._steps: list[tuple[str, object]] = []

    def add(self, name: str, step) -> None:
        self._steps.append((name, step))

    def run(self) -> list[str]:
        errors = []
        while self._steps:
            name, step = self._steps.pop()
            try:
                step()
            except BaseException as exc:  # noqa: BLE001 - the next steps must run too
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
        return errors


@dataclass(frozen=True)
class HubSettings:
    """What the generated ``jupyterhub_config.py`` needs to know."""

    workdir: Path
    venv: Path
    kit: Path
    proxy: Path
    learners: tuple[str, ...]
    password: str
    admin_token: str
    culler_token: str
    ports: tuple[int, int, int]  # public (proxy), hub, proxy API
    real_users: bool
    homes: Path
    run_as_root: bool = False


def hub_config(s: HubSettings) -> str:
    """The text of ``jupyterhub_config.py``: loopback only, SQLite, the kit's environment.

    Two services get tokens: ``hub-test`` (the instructor: makes learners, starts servers,
    issues tokens) and ``idle-culler`` (the scopes jupyterhub-idle-culler needs). Before a
    server starts, ``pre_spawn_hook`` gives its learner a copy of the lessons, as Zero to
    JupyterHub's ``postStart`` hook does in README.
    """
    public, hub, api = s.ports
    spawner = "localprocess" if s.real_users else "simple"
    args = ["--allow-root"] if s.run_as_root and not s.real_users else []
    env = {
        "KERAS_BACKEND": "tensorflow",
        "TF_NUM_INTRAOP_THREADS": "2",
        "TF_NUM_INTEROP_THREADS": "2",
        "JUPYTERHUB_ACTIVITY_INTERVAL": "10",  # servers report activity every 10 s
        "PATH": f"{s.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    }
    culler_scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
    admin_scopes = ["admin:users", "admin:servers", "tokens", "access:servers", "list:users"]
    return f'''# Generated by tools/hub_test.py for one run; removed with its folder.
import os
import pwd
import shutil

c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api}"
c.ConfigurableHTTPProxy.command = [{str(s.proxy)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(s.workdir / "jupyterhub-proxy.pid")!r}
c.JupyterHub.db_url = {"sqlite:///" + str(s.workdir / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(s.workdir / "jupyterhub_cookie_secret")!r}
c.JupyterHub.pid_file = {str(s.workdir / "jupyterhub.pid")!r}
c.JupyterHub.last_activity_interval = 10
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {s.password!r}
c.Authenticator.allowed_users = {set(s.learners)!r}
c.JupyterHub.spawner_class = {spawner!r}
c.Spawner.cmd = [{str(s.venv / "bin" / "jupyterhub-singleuser")!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab/tree/{FIRST_LESSON}"
c.Spawner.environment = {env!r}
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
c.SimpleLocalProcessSpawner.home_dir_template = {str(s.homes) + "/{username}"!r}
c.JupyterHub.services = [
    {{"name": "hub-test", "api_token": {s.admin_token!r}}},
    {{"name": "idle-culler", "api_token": {s.culler_token!r}}},
]
c.JupyterHub.load_roles = [
    {{"name": "hub-test", "scopes": {admin_scopes!r}, "services": ["hub-test"]}},
    {{"name": "idle-culler", "scopes": {culler_scopes!r}, "services": ["idle-culler"]}},
]

KIT = {str(s.kit)!r}
HOMES = {str(s.homes)!r}
REAL_USERS = {s.real_users!r}


def copy_lessons(spawner):
    """Each learner's own copy of the lessons, made once, owned by the learner."""
    name = spawner.user.name
    if REAL_USERS:
        account = pwd.getpwnam(name)
        home, owner = account.pw_dir, (account.pw_uid, account.pw_gid)
    else:
        home, owner = os.path.join(HOMES, name), None
    dest = os.path.join(home, "beyond-sequential")
    if os.path.exists(dest):
        return
    for part in ("notebooks", "lessons"):
        shutil.copytree(os.path.join(KIT, part), os.path.join(dest, part))
    if owner:
        for folder, _, files in os.walk(dest):
            os.chown(folder, *owner)
            for file in files:
                os.chown(os.path.join(folder, file), *owner)


c.Spawner.pre_spawn_hook = copy_lessons
'''


@dataclass(frozen=True)
class Step:
    """One lesson in a learner's run: a notebook and which of its code cells to run.

    ``markers`` picks cells by how their source begins (the set-up cell is always run
    first); ``None`` runs every code cell, top to bottom.
    """

    notebook: str
    markers: tuple[str, ...] | None = None


FULL_PLAN = (
    Step("01-sequential-to-functional.ipynb"),
    # the lab trained once, headless: a lab, the book's weights, its checkpoint
    Step(
        "04-loss-weight-lab.ipynb",
        ("posts = make_posts(", "book = lab.train(", 'check_beats_baseline(\n    "age head"'),
    ),
)
LIGHT_PLAN = (
    Step(
        "01-sequential-to-functional.ipynb",
        ("seq_model = keras.Sequential(", "data = make_clusters(", "seq_model.compile("),
    ),
)


def plan_cells(notebook: dict, step: Step) -> list[tuple[str, bool]]:
    """The (source, raises) pairs to run for ``step`` from a notebook's JSON.

    ``raises`` marks a cell tagged ``# NBVAL_RAISES_EXCEPTION``: it must end in an error.
    A marker that matches no cell is an error, so an edited lesson cannot silently drop
    a step.
    """
    sources = [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]
    if step.markers is None:
        chosen = sources
    else:
        chosen = [sources[0]]
        for marker in step.markers:
            match = [src for src in sources if src.startswith(marker)]
            if not match:
                raise ValueError(f"{step.notebook}: no code cell begins with {marker!r}")
            chosen.append(match[0])
    return [(src, "NBVAL_RAISES_EXCEPTION" in src) for src in chosen]


def free_ports(count: int) -> tuple[int, ...]:
    """``count`` distinct free TCP ports on 127.0.0.1."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return tuple(sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


# ---------------------------------------------------------------- the learners' processes


@dataclass
class Usage:
    """One learner's processes, as sampled from /proc."""

    peak_total: int = 0  # the largest sum of resident memory seen at one time
    peak_server: int = 0  # the server's peak resident memory (VmHWM)
    peak_kernel: int = 0  # the largest kernel's peak resident memory (VmHWM)
    rss_now: int = 0
    cpu: dict[int, float] = field(default_factory=dict)  # pid: user+sys, with reaped children

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


def proc_memory(pid: int) -> tuple[int, int]:
    """(resident, peak resident) bytes of a process, from /proc/PID/status."""
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    return rss, hwm


def proc_cpu(pid: int, children: bool = True) -> float:
    """User + system seconds of a process (and its reaped children), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat_file:
        fields = stat_file.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11 : 15 if children else 13]) / os.sysconf("SC_CLK_TCK")


class ProcessWatch:
    """Which processes belong to which learner, and what they use.

    A process belongs to a learner when it runs as the learner's account (real users) or
    carries ``JUPYTERHUB_USER`` in its environment (the simple spawner), as the server,
    its kernels and their children do.
    """

    def __init__(self, names: list[str], uids: dict[int, str] | None) -> None:
        self.uids = uids
        self.usage = {name: Usage() for name in names}

    def owner_of(self, pid: int) -> str | None:
        """The learner a process belongs to, or None; read afresh each time, so that a
        process seen between the hub's fork and its exec (or setuid) is looked at again,
        and a reused pid is never taken for a learner's."""
        owner = None
        try:
            if self.uids is not None:
                owner = self.uids.get(os.stat(f"/proc/{pid}").st_uid)
            else:
                with open(f"/proc/{pid}/environ", "rb") as environ:
                    for item in environ.read().split(b"\0"):
                        if item.startswith(b"JUPYTERHUB_USER="):
                            owner = item.split(b"=", 1)[1].decode()
        except OSError:
            return None
        return owner if owner in self.usage else None

    def pids(self) -> dict[int, str]:
        """Every live process of a learner: {pid: learner}."""
        found = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                owner = self.owner_of(int(entry))
                if owner and pid_alive(int(entry)):  # a zombie holds nothing
                    found[int(entry)] = owner
        return found

    def sample(self) -> None:
        """Resident memory of every learner process; CPU time of servers and kernels.

        A kernel's CPU time includes its reaped children (graphviz-pure drawing a model);
        a server's does not, since its reaped children are the kernels, already counted.
        Other processes (a drawing in progress) count for memory only.
        """
        totals = dict.fromkeys(self.usage, 0)
        for pid, owner in self.pids().items():
            try:
                rss, hwm = proc_memory(pid)
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    command = cmdline.read()
                usage = self.usage[owner]
                totals[owner] += rss
                if b"jupyterhub-singleuser" in command:
                    usage.peak_server = max(usage.peak_server, hwm)
                    usage.cpu[pid] = proc_cpu(pid, children=False)
                elif b"ipykernel" in command:
                    usage.peak_kernel = max(usage.peak_kernel, hwm)
                    usage.cpu[pid] = proc_cpu(pid, children=True)
            except OSError:
                continue  # it ended meanwhile
        for owner, total in totals.items():
            self.usage[owner].rss_now = total
            self.usage[owner].peak_total = max(self.usage[owner].peak_total, total)

    def kernel_pid(self, kernel_id: str) -> int | None:
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if f"kernel-{kernel_id}".encode() in cmdline.read():
                        return pid
            except OSError:
                continue
        return None


# ---------------------------------------------------------------- a client of the hub


class KernelDied(RuntimeError):
    """The kernel went away while a cell ran."""


class HubClient:
    """The hub's REST API, the servers' APIs behind its proxy, and kernel websockets."""

    def __init__(self, base: str) -> None:
        from tornado.httpclient import AsyncHTTPClient

        self.base = base
        self.http = AsyncHTTPClient(force_instance=True, defaults={"request_timeout": 600})

    async def call(self, method, path, token=None, body=None, headers=None):
        """(status, parsed JSON or text, response headers); never raises on an HTTP status."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"token {token}"
        if isinstance(body, (dict, list)):
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        if method in ("POST", "PUT", "PATCH") and body is None:
            body = ""
        response = await self.http.fetch(
            self.base + path,
            method=method,
            headers=headers,
            body=body,
            raise_error=False,
            follow_redirects=False,
        )
        text = response.body.decode(errors="replace") if response.body else ""
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = text
        return response.code, data, response.headers

    async def login(self, name: str, password: str) -> dict[str, str]:
        """Log in through the hub's form, as a browser does; returns the cookies."""
        from urllib.parse import urlencode

        cookies: dict[str, str] = {}

        def keep(headers):
            for line in headers.get_list("Set-Cookie"):
                key, _, rest = line.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]

        code, _, headers = await self.call("GET", "/hub/login")
        keep(headers)
        form = urlencode(
            {"username": name, "password": password, "_xsrf": cookies.get("_xsrf", "")}
        )
        jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
        code, _, headers = await self.call(
            "POST",
            "/hub/login",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": jar},
        )
        keep(headers)
        if code != 302 or "jupyterhub-hub-login" not in cookies:
            raise RuntimeError(f"login of {name} answered {code} without a session cookie")
        return cookies

    async def own_token(self, name: str, cookies: dict[str, str]) -> str:
        """The learner asks the hub for an API token, with the session of their login."""
        jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
        code, data, _ = await self.call(
            "POST",
            f"/hub/api/users/{name}/tokens",
            body={"note": "hub-test", "expires_in": 7200},
            headers={"Cookie": jar, "X-XSRFToken": cookies.get("_xsrf", "")},
        )
        if code != 201:
            raise RuntimeError(f"{name}'s token request answered {code}: {data}")
        return data["token"]

    async def channels(self, name: str, kernel_id: str, token: str):
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = self.base.replace("http", "ws", 1)
        url += f"/user/{name}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
        return await websocket_connect(
            HTTPRequest(url, headers={"Authorization": f"token {token}"}, request_timeout=120),
            max_message_size=256 * 1024 * 1024,
        )


async def execute(ws, code: str, timeout: float, started=None) -> list[str]:
    """Run one cell over a kernel's websocket; return its error lines (empty: it ran).

    Raises :class:`KernelDied` when the kernel restarts or dies, or the socket closes.
    """
    msg_id = uuid.uuid4().hex
    ws.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "learner",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    if started:
        started()
    errors: list[str] = []
    replied = idle = False
    deadline = time.monotonic() + timeout
    while not (replied and idle):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"a cell ran over {timeout:.0f} s")
        raw = await asyncio.wait_for(ws.read_message(), left)
        if raw is None:
            raise KernelDied("the kernel's websocket closed")
        if isinstance(raw, bytes):
            continue  # binary frames carry buffers (widgets); nothing to check
        msg = json.loads(raw)
        kind, content = msg.get("msg_type") or msg["header"]["msg_type"], msg.get("content", {})
        if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
            raise KernelDied(f"kernel {content['execution_state']}")
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if kind == "error":
            errors.append(f"{content.get('ename')}: {content.get('evalue')}")
        elif kind == "execute_reply":
            replied = True
            if content.get("status") != "ok" and not errors:
                errors.append(f"execute_reply {content.get('status')}")
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True
    return errors


# ---------------------------------------------------------------- the class


@dataclass
class Learner:
    name: str
    token: str = ""
    spawn_seconds: float = 0.0
    lesson_seconds: float = 0.0
    kernel_id: str = ""
    failures: list[str] = field(default_factory=list)
    cells: int = 0
    restarted: bool | None = None  # the victim only: died, restarted and ran again


@dataclass
class Context:
    client: HubClient
    settings: HubSettings
    watch: ProcessWatch
    plan: tuple[Step, ...]
    log: object = print
    cell_timeout: float = 900.0


async def spawn(ctx: Context, learner: Learner) -> None:
    """Log in, get a token, start the server and check the learner's copy of the lessons."""
    started = time.perf_counter()
    client, name = ctx.client, learner.name
    cookies = await client.login(name, ctx.settings.password)
    learner.token = await client.own_token(name, cookies)
    code, data, _ = await client.call("POST", f"/hub/api/users/{name}/server", learner.token)
    if code not in (201, 202):
        raise RuntimeError(f"starting {name}'s server answered {code}: {data}")
    deadline = time.monotonic() + 600
    while True:
        code, data, _ = await client.call("GET", f"/hub/api/users/{name}", learner.token)
        server = (data or {}).get("servers", {}).get("") if code == 200 else None
        if server and server.get("ready"):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}'s server was not ready after 600 s")
        await asyncio.sleep(1)
    learner.spawn_seconds = time.perf_counter() - started
    code, data, _ = await client.call(
        "GET", f"/user/{name}/api/contents/beyond-sequential/notebooks", learner.token
    )
    notebooks = [item["name"] for item in data["content"]] if code == 200 else []
    if not all(step.notebook in notebooks for step in ctx.plan):
        learner.failures.append(f"no copy of the lessons in {name}'s home ({code})")
    code, data, _ = await client.call(
        "GET",
        f"/user/{name}/lab/api/settings/@jupyterlab/apputils-extension:notification",
        learner.token,
    )
    try:
        news = data["schema"]["properties"]["fetchNews"]["default"]
    except (KeyError, TypeError):
        news = f"answer {code}"
    if news != "false":
        learner.failures.append(
            f"the kit's JupyterLab settings are not applied (fetchNews: {news})"
        )


async def start_kernel(ctx: Context, learner: Learner) -> str:
    code, data, _ = await ctx.client.call(
        "POST",
        f"/user/{learner.name}/api/kernels",
        learner.token,
        body={"name": "python3", "path": "beyond-sequential/notebooks"},
    )
    if code != 201:
        raise RuntimeError(f"{learner.name}: starting a kernel answered {code}: {data}")
    return data["id"]


async def run_plan(ctx: Context, learner: Learner, victim: asyncio.Event | None) -> None:
    """Every lesson of the plan in a fresh kernel; a killed kernel is restarted and the
    lesson run again from the top (the victim only; up to three restarts)."""
    client, name = ctx.client, learner.name
    started = time.perf_counter()
    for step in ctx.plan:
        cells = plan_cells(
            json.loads((ctx.settings.kit / "notebooks" / step.notebook).read_text()), step
        )
        kernel_id = await start_kernel(ctx, learner)
        learner.kernel_id = kernel_id
        attempt = 0
        while True:
            ws = await client.channels(name, kernel_id, learner.token)
            try:
                for index, (source, raises) in enumerate(cells):
                    # the victim's kernel is killed while its first model trains
                    arm = victim is not None and attempt == 0 and ".fit(" in source
                    errors = await execute(
                        ws, source, ctx.cell_timeout, victim.set if arm else None
                    )
                    learner.cells += 1
                    if raises and not errors:
                        learner.failures.append(f"{step.notebook} cell {index}: expected an error")
                    elif errors and not raises:
                        learner.failures.append(f"{step.notebook} cell {index}: {errors[0]}")
                        break
                break
            except KernelDied as died:
                # Only the victim's kernel may die. Its server can announce one more
                # restart just after the learner's own (its automatic restart racing the
                # learner's): the learner presses Restart again, up to three times.
                if victim is None or attempt >= 3:
                    learner.failures.append(f"{step.notebook}: {died}")
                    break
                ctx.log(f"   {name}: kernel died mid-lesson ({died}); restarting it")
                attempt += 1
                code = await restart_kernel(ctx, learner, kernel_id)
                learner.restarted = code == 200
                if code != 200:
                    learner.failures.append(f"restarting the kernel answered {code}")
                    break
            finally:
                ws.close()
        if step is not ctx.plan[-1]:  # as a learner told to shut a lesson's kernel down does
            await client.call("DELETE", f"/user/{name}/api/kernels/{kernel_id}", learner.token)
    learner.lesson_seconds = time.perf_counter() - started
    if victim is not None:
        learner.restarted = bool(learner.restarted) and not learner.failures


async def restart_kernel(ctx: Context, learner: Learner, kernel_id: str) -> int:
    """*Kernel → Restart Kernel*, tried again every 2 s while the server answers that it
    cannot yet (its own automatic restart of the dead kernel may be under way)."""
    path = f"/user/{learner.name}/api/kernels/{kernel_id}/restart"
    started, tries = time.perf_counter(), 0
    while True:
        tries += 1
        code, _, _ = await ctx.client.call("POST", path, learner.token)
        if code == 200 or tries == 60:
            break
        await asyncio.sleep(2)
    ctx.log(
        f"   {learner.name}: restart answered {code} after {tries} tries, "
        f"{time.perf_counter() - started:.1f} s"
    )
    return code


async def kill_when_training(ctx: Context, learner: Learner, training: asyncio.Event) -> None:
    """SIGKILL the victim's kernel a second into its first training cell."""
    await training.wait()
    await asyncio.sleep(1)
    pid = ctx.watch.kernel_pid(learner.kernel_id)
    if pid:
        ctx.log(f"   killing {learner.name}'s kernel (pid {pid}) mid-lesson")
        os.kill(pid, signal.SIGKILL)


async def check_isolation(ctx: Context, learners: list[Learner]) -> list[str]:
    """Learner A's token against learner B's server, files and record; no token at all."""
    client, problems = ctx.client, []
    a, b = learners[0], learners[1 % len(learners)]
    probes = [
        (a.token, f"/user/{b.name}/api/contents", (403, 404)),
        (a.token, f"/user/{b.name}/api/contents/beyond-sequential/notebooks", (403, 404)),
        (a.token, f"/user/{b.name}/api/kernels", (403, 404)),
        (a.token, f"/hub/api/users/{b.name}", (403, 404)),
        (None, f"/user/{a.name}/api/contents", (401, 403)),
        (None, "/hub/api/users", (401, 403)),
        (None, f"/hub/api/users/{a.name}", (401, 403)),
    ]
    if a is b:
        probes = probes[4:]
    for token, path, refused in probes:
        code, _, _ = await client.call("GET", path, token)
        who = f"{a.name}'s token" if token else "no token"
        ctx.log(f"   {who:>20} GET {path}: {code}")
        if code not in refused:
            problems.append(f"{who} on {path}: {code}")
    if ctx.settings.real_users and a is not b:
        kernel_id = await start_kernel(ctx, a)
        ws = await client.channels(a.name, kernel_id, a.token)
        other = str(ctx.settings.homes / b.name)
        try:
            errors = await execute(ws, f"import os\nprint(os.listdir({other!r}))", 120)
        finally:
            ws.close()
        await client.call("DELETE", f"/user/{a.name}/api/kernels/{kernel_id}", a.token)
        ctx.log(f"   {a.name}'s kernel lists {b.name}'s home: {errors[0] if errors else 'allowed'}")
        if not errors or not errors[0].startswith("PermissionError"):
            problems.append(f"{a.name}'s kernel could list {other}")
    return problems


async def sample_forever(watch: ProcessWatch, every: float = 0.5) -> None:
    while True:
        watch.sample()
        await asyncio.sleep(every)


async def class_session(ctx: Context, names: list[str], cull_timeout: int, culler_cmd) -> dict:
    """The class: spawn everyone, check isolation, run the lessons together, cull."""
    learners = [Learner(name) for name in names]
    sampler = asyncio.create_task(sample_forever(ctx.watch))
    # the simple spawner runs every learner as one account: only tokens keep them apart
    isolation = "isolation" if ctx.settings.real_users else "isolation (tokens only)"
    checks = {isolation: None, "culling": None, "kernel restart": None}
    report: dict = {"learners": learners, "checks": checks}
    try:
        ctx.log(f"== {len(names)} learners log in and start their servers, all at once")
        began = time.perf_counter()
        spawned = await asyncio.gather(*(spawn(ctx, x) for x in learners), return_exceptions=True)
        for learner, outcome in zip(learners, spawned, strict=True):
            if isinstance(outcome, BaseException):
                learner.failures.append(f"spawn: {type(outcome).__name__}: {outcome}")
        spawn_wall = time.perf_counter() - began
        for learner in learners:
            ctx.log(f"   {learner.name}: server ready in {learner.spawn_seconds:.1f} s")
        ready = [x for x in learners if not x.failures]
        if not ready:
            report["class_wall"] = spawn_wall
            return report

        ctx.log("== isolation")
        problems = await check_isolation(ctx, ready)
        report["checks"][isolation] = not problems and len(ready) >= 2
        report["isolation_problems"] = problems

        ctx.log(
            f"== every learner runs {', '.join(s.notebook for s in ctx.plan)} in their own "
            "kernel, all at once"
        )
        victim = ready[-1] if len(ready) >= 2 else None
        training = asyncio.Event()
        killer = asyncio.create_task(kill_when_training(ctx, victim, training)) if victim else None
        began = time.perf_counter()
        ran = await asyncio.gather(
            *(run_plan(ctx, x, training if x is victim else None) for x in ready),
            return_exceptions=True,
        )
        report["class_wall"] = spawn_wall + time.perf_counter() - began
        if killer:
            killer.cancel()
        for learner, outcome in zip(ready, ran, strict=True):
            if isinstance(outcome, BaseException):
                learner.failures.append(f"lessons: {type(outcome).__name__}: {outcome}")
            ctx.log(
                f"   {learner.name}: {learner.cells} cells in {learner.lesson_seconds:.1f} s, "
                f"{'no failures' if not learner.failures else '; '.join(learner.failures)}"
            )
        others_ok = all(not x.failures for x in ready if x is not victim)
        report["checks"]["kernel restart"] = (
            (bool(victim.restarted) and others_ok) if victim else None
        )

        ctx.watch.sample()
        held = sum(u.rss_now for u in ctx.watch.usage.values())
        ctx.log(
            f"== idle culling (timeout {cull_timeout} s): the learners hold {held / GIB:.2f} GiB; "
            f"waiting for the culler"
        )
        culler = culler_cmd()
        began = time.perf_counter()
        deadline = time.monotonic() + cull_timeout + 300
        culled = False
        while time.monotonic() < deadline:
            states = [
                await ctx.client.call("GET", f"/hub/api/users/{x.name}", ctx.settings.admin_token)
                for x in learners
            ]
            if all(code == 200 and not (data or {}).get("servers") for code, data, _ in states):
                culled = True
                break
            await asyncio.sleep(2)
        gone = False
        while culled and time.monotonic() < deadline:
            if not ctx.watch.pids():
                gone = True
                break
            await asyncio.sleep(1)
        ctx.watch.sample()
        still = sum(u.rss_now for u in ctx.watch.usage.values())
        report["cull_seconds"] = time.perf_counter() - began
        report["memory_held"] = held
        ctx.log(
            f"   culled: {culled}, every learner process gone: {gone}, "
            f"after {report['cull_seconds']:.0f} s; "
            f"the learners' processes hold {still / GIB:.2f} GiB"
        )
        report["checks"]["culling"] = culled and gone
        culler.terminate()
        return report
    finally:
        sampler.cancel()


# ---------------------------------------------------------------- starting and stopping


def stop_process(proc: subprocess.Popen, name: str, grace: float, log=print) -> None:
    """SIGTERM, wait ``grace`` seconds, then SIGKILL its whole process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            log(f"   {name} did not stop in {grace:.0f} s: SIGKILL")
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)


def stop_pid_file(path: Path, name: str, log=print) -> None:
    """Stop the process a pid file names if it still runs (the proxy has a session of its own)."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not pid_alive(pid):
            return
        log(f"   {name} (pid {pid}) still runs: {sig.name}")
        os.kill(pid, sig)
        for _ in range(50):
            if not pid_alive(pid):
                return
            time.sleep(0.2)


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_learner_processes(watch: ProcessWatch, log=print) -> None:
    """SIGKILL, pid by pid, whatever still runs as a learner (the hub stops them first)."""
    for _ in range(50):
        reap_children()
        left = watch.pids()
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    log(f"   learner processes still running: {sorted(watch.pids())}")


def run(args, cleanup: Cleanup, log=print) -> int:
    is_root = os.geteuid() == 0
    real_users = is_root and shutil.which("useradd") is not None and not args.simple
    python = find_python(ROOT, need_all_users=real_users)
    venv, kit = build_env(python, log)
    proxy = install_proxy(log)

    workdir = Path(tempfile.mkdtemp(prefix="bseq-hub-test-"))
    cleanup.add("the temporary folder", lambda: shutil.rmtree(workdir, ignore_errors=True))
    homes = workdir / "homes"
    homes.mkdir()
    os.chmod(workdir, 0o711)
    os.chmod(homes, 0o711)
    tag = secrets.token_hex(2)
    names = [f"bsq{tag}l{i + 1}" for i in range(args.learners)]
    uids = None
    if real_users:
        uids = {}
        for name in names:
            cleanup.add(
                f"account {name}", lambda n=name: subprocess.run(["userdel", n], check=False)
            )
            subprocess.run(
                [
                    "useradd",
                    "--create-home",
                    "--home-dir",
                    str(homes / name),
                    "--shell",
                    "/usr/sbin/nologin",
                    "--user-group",
                    name,
                ],
                check=True,
            )
            os.chmod(homes / name, 0o700)
            uids[pwd.getpwnam(name).pw_uid] = name
    watch = ProcessWatch(names, uids)
    cleanup.add("learner processes", lambda: kill_learner_processes(watch, log))

    settings = HubSettings(
        workdir=workdir,
        venv=venv,
        kit=kit,
        proxy=proxy,
        learners=tuple(names),
        password=secrets.token_urlsafe(12),
        admin_token=secrets.token_hex(32),
        culler_token=secrets.token_hex(32),
        ports=free_ports(3),
        real_users=real_users,
        homes=homes,
        run_as_root=is_root,
    )
    config = workdir / "jupyterhub_config.py"
    config.write_text(hub_config(settings))
    hub_log = workdir / "hub.log"
    mode = "real users, localprocess spawner" if real_users else "simple spawner, one account"
    log(f"== JupyterHub on http://127.0.0.1:{settings.ports[0]} ({mode}); log {hub_log}")
    with open(hub_log, "wb") as out:
        hub = subprocess.Popen(
            [str(venv / "bin" / "jupyterhub"), "-f", str(config)],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop_hub():
        log("== stopping the hub (its proxy and the learners' servers with it)")
        stop_process(hub, "the hub", 60, log)
        stop_pid_file(workdir / "jupyterhub-proxy.pid", "the proxy", log)

    cleanup.add("the hub", stop_hub)

    def leftovers() -> list[str]:
        pids = [("the hub", hub.pid)] + [("the culler", proc.pid) for proc in culler_procs]
        try:
            pids.append(("the proxy", int((workdir / "jupyterhub-proxy.pid").read_text())))
        except (OSError, ValueError):
            pass
        left = [f"{name} (pid {pid})" for name, pid in pids if pid_alive(pid)]
        return left + [f"{owner}'s pid {pid}" for pid, owner in watch.pids().items()]

    args.leftovers = leftovers
    cleanup.add("the hub's log", lambda: hub_failed[0] and print_tail(hub_log))
    hub_failed = [True]
    culler_procs: list[subprocess.Popen] = []
    base = f"http://127.0.0.1:{settings.ports[0]}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urlopen(base + "/hub/api/", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if hub.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the hub did not start")
        time.sleep(0.5)
    started_at = time.perf_counter()

    def start_culler():
        env = dict(os.environ, JUPYTERHUB_API_TOKEN=settings.culler_token)
        proc = subprocess.Popen(
            [
                str(venv / "bin" / "python"),
                "-m",
                "jupyterhub_idle_culler",
                f"--url=http://127.0.0.1:{settings.ports[1]}/hub/api",
                f"--timeout={args.cull_timeout}",
                "--cull-every=5",
            ],
            env=env,
            stdout=open(workdir / "culler.log", "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        culler_procs.append(proc)
        cleanup.add("the culler", lambda: stop_process(proc, "the culler", 10, log))
        return proc

    ctx = Context(
        client=None,
        settings=settings,
        watch=watch,
        plan=LIGHT_PLAN if args.light else FULL_PLAN,
        log=log,
        cell_timeout=args.cell_timeout,
    )

    async def session():
        ctx.client = HubClient(base)
        return await class_session(ctx, names, args.cull_timeout, start_culler)

    report = asyncio.run(session())
    hub_cpu = proc_cpu(hub.pid, children=False) if pid_alive(hub.pid) else 0.0
    hub_failed[0] = False

    learners = report["learners"]
    passed = sum(1 for x in learners if not x.failures)
    log("")
    log(
        "| learner | server ready | lessons | wall | peak server | peak kernel "
        "| peak, all processes | CPU time | failures |"
    )
    log("|---|---|---|---|---|---|---|---|---|")
    for x in learners:
        use = watch.usage[x.name]
        role = " (kernel killed)" if x.restarted is not None else ""
        log(
            f"| {x.name}{role} | {x.spawn_seconds:.1f} s | {x.lesson_seconds:.1f} s | "
            f"{x.spawn_seconds + x.lesson_seconds:.1f} s | {use.peak_server / 2**20:.0f} MiB | "
            f"{use.peak_kernel / 2**20:.0f} MiB | {use.peak_total / GIB:.2f} GiB | "
            f"{use.cpu_seconds:.1f} s | {'; '.join(x.failures) or 'none'} |"
        )
    cpu = sum(u.cpu_seconds for u in watch.usage.values())
    peak = max(u.peak_total for u in watch.usage.values())
    log("")
    log(
        f"class: wall {report['class_wall']:.1f} s (log-in to the last lesson's end), "
        f"learners' CPU time {cpu:.1f} s, the hub's {hub_cpu:.1f} s; "
        f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    for problem in report.get("isolation_problems", []):
        log(f"   isolation: {problem}")
    summary = summary_line(len(learners), passed, peak, report["class_wall"], report["checks"])
    report.update(
        summary=summary,
        passed=passed,
        cpu=cpu,
        hub_cpu=hub_cpu,
        peak=peak,
        elapsed=time.perf_counter() - started_at,
    )
    args.report = report
    ok = passed == len(learners) and all(report["checks"].values()) and len(learners) >= 2
    return 0 if ok else 1


def print_tail(path: Path, lines: int = 40) -> None:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return
    print(f"--- the last {len(text)} lines of {path.name}:", *text, sep="\n", file=sys.stderr)


def become_subreaper() -> bool:
    """Adopt every orphaned descendant (Linux's PR_SET_CHILD_SUBREAPER), so that processes
    whose parent exits without waiting for them end here: :func:`reap_children` collects
    them and their CPU time counts in this process's ``RUSAGE_CHILDREN``."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_children() -> None:
    """Wait for every finished child (adopted ones included); never blocks."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def cpu_of_this_run() -> float:
    """User + system seconds of this process and every child it has waited for."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=4, help="how many learners (default 4)")
    parser.add_argument(
        "--light",
        action="store_true",
        help="CI's light pass: lesson 01's set-up cells and one trained model",
    )
    parser.add_argument(
        "--simple",
        action="store_true",
        help="the simple spawner even as root (tokens isolated, files not)",
    )
    parser.add_argument(
        "--cull-timeout",
        type=int,
        default=30,
        help="seconds idle before the culler stops a server (default 30)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=900,
        help="a guard against hangs, per cell (default 900 s)",
    )
    args = parser.parse_args(argv)
    if args.learners < 2:
        parser.error("--learners must be at least 2: isolation is checked between two learners")

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    cleanup = Cleanup()
    adopted = become_subreaper()
    code, summary = 1, None
    try:
        code = run(args, cleanup)
        summary = args.report["summary"]
    except KeyboardInterrupt:
        print("interrupted: stopping everything", file=sys.stderr)
        code = 130
    finally:
        errors = cleanup.run()
        for error in errors:
            print(f"cleanup: {error}", file=sys.stderr)
        if errors:
            code = code or 1
        reap_children()
        leftovers = getattr(args, "leftovers", None)
        if leftovers:
            left = leftovers()
            print(f"left running: {', '.join(left) or 'nothing'}")
            if left:
                code = code or 1
    if adopted:
        time.sleep(1)
        reap_children()
        print(f"CPU time of everything this run started (user + system): {cpu_of_this_run():.1f} s")
    if summary:
        print(summary)
    return code


if __name__ == "__main__":
    sys.exit(main())
