#!/usr/bin/env python3
"""A scripted rust-analyzer session: are cargo-tenant-audit's findings shown in the editor?

Starts the real rust-analyzer on a project (default: fixtures/projects/demo-saas) with
`rust-analyzer.check.overrideCommand = ["cargo", "tenant-audit", "--format", "cargo"]`, as
docs/editors.md configures it, and opens one file. Waits for the check rust-analyzer runs once the
workspace is loaded and for the `textDocument/publishDiagnostics` that follow; then saves the file,
as an editor does, and waits for the next check to publish the findings again. Prints the TA
diagnostics rust-analyzer published and compares them with the tool's own findings (`--format
short` on the same project).

    cargo build && python3 scripts/ra-check.py
    python3 scripts/ra-check.py --project path/to/ws --open src/lib.rs --timeout 600
    python3 scripts/ra-check.py --override '["sh", "-c", "cargo clippy --message-format=json; cargo tenant-audit --format cargo"]'

The built binary's folder (target/debug, or --bin-dir) is put first on rust-analyzer's PATH, so
`cargo tenant-audit` runs the binary of this checkout. Build scripts, proc-macros and cache
priming are off: the check needs none of them, and rust-analyzer would otherwise compile every
dependency.

Not part of `cargo test`: it needs rust-analyzer (`rustup component add rust-analyzer`), lets it
run `cargo metadata` on the project (which may download the project's dependencies' manifests),
and its timing is rust-analyzer's. Exit code: 0 when every finding of the tool was published by
rust-analyzer at its file, line and column, after loading and again after the save; 1 when not;
2 when the session could not run.
"""

import argparse
import json
import os
import pathlib
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Lsp:
    """A minimal LSP client over rust-analyzer's stdio: requests, notifications, a reader thread."""

    def __init__(self, cmd, cwd, env):
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Its own process group, so that closing ends everything it started.
            start_new_session=True,
        )
        self.next_id = 0
        self.inbox = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.stderr_tail = []

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_tail = (self.stderr_tail + [line.decode(errors="replace")])[-400:]

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.decode("ascii", errors="replace").strip()
                if not line:
                    break
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            body = out.read(int(headers.get("content-length", "0")))
            try:
                self.inbox.put(json.loads(body))
            except Exception as e:
                sys.stderr.write(f"ra-check: unreadable message ({e}): {body[:200]!r}\n")

    def send(self, msg):
        msg["jsonrpc"] = "2.0"
        data = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        # rust-analyzer's children (a check still running) and, when it was started through a
        # rustup proxy, rust-analyzer itself: the group started for it.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def tool_findings(bin_path, project):
    """The tool's own findings on the project: (code, file, line, column), 1-based."""
    out = subprocess.run(
        [str(bin_path), "--format", "short"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    ).stdout
    found = set()
    for line in out.splitlines():
        parts = line.split(":", 3)
        if len(parts) < 4 or "[TA" not in line:
            continue
        code = line.split("[", 1)[1].split("/", 1)[0]
        found.add((code, parts[0], int(parts[1]), int(parts[2])))
    return found


def default_rust_analyzer():
    """The real binary of the rustup component (not the proxy), else whatever PATH has."""
    try:
        out = subprocess.run(
            ["rustup", "which", "rust-analyzer"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    return shutil.which("rust-analyzer") or "rust-analyzer"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", default=str(ROOT / "fixtures/projects/demo-saas"))
    ap.add_argument("--open", default="src/api/projects.rs", help="file to open and save")
    ap.add_argument("--bin-dir", default=str(ROOT / "target/debug"))
    ap.add_argument("--rust-analyzer", default=default_rust_analyzer())
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait in all")
    ap.add_argument("--verbose", action="store_true", help="print every message of the server")
    ap.add_argument(
        "--override",
        help='the check command as a JSON list (default: ["cargo", "tenant-audit", "--format", "cargo"])',
    )
    ap.add_argument(
        "--no-save",
        action="store_true",
        help="stop after the first check instead of also saving the file and waiting for the check that follows",
    )
    args = ap.parse_args()

    project = pathlib.Path(args.project).resolve()
    bin_dir = pathlib.Path(args.bin_dir).resolve()
    binary = bin_dir / "cargo-tenant-audit"
    if not binary.exists():
        print(f"ra-check: {binary} not found; run `cargo build` first", file=sys.stderr)
        return 2
    try:
        version = subprocess.run(
            [args.rust_analyzer, "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        print(
            f"ra-check: cannot run rust-analyzer ({e}); `rustup component add rust-analyzer`",
            file=sys.stderr,
        )
        return 2
    override = json.loads(args.override) if args.override else [
        "cargo", "tenant-audit", "--format", "cargo"
    ]
    print(f"rust-analyzer: {version}")
    print(f"project:       {project}")
    print(f"override:      {json.dumps(override)} (PATH starts with {bin_dir})")

    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("RUST_LOG", None)
    lsp = Lsp([args.rust_analyzer], project, env)
    root_uri = project.as_uri()
    settings = {
        "check": {"overrideCommand": override},
        "checkOnSave": True,
        "cargo": {"buildScripts": {"enable": False}},
        "procMacro": {"enable": False},
        "cachePriming": {"enable": False},
    }
    init_id = lsp.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root_uri,
            "workspaceFolders": [{"uri": root_uri, "name": project.name}],
            "capabilities": {
                "textDocument": {"publishDiagnostics": {"relatedInformation": True}},
                "window": {"workDoneProgress": True},
                "experimental": {"serverStatusNotification": True},
            },
            "initializationOptions": settings,
        },
    )

    opened = project / args.open
    want = tool_findings(binary, project)
    if not want:
        print("ra-check: the tool reports no finding on this project: nothing to look for", file=sys.stderr)
        lsp.close()
        return 2
    started = time.monotonic()
    deadline = started + args.timeout
    published = {}  # uri -> the diagnostics last published for it
    since_check = {}  # the same, published since the last check started
    quiescent_at = None
    checks = 0
    saved = False

    def stamp():
        return f"[{time.monotonic() - started:6.1f}s]"

    def ta_diagnostics(published=published):
        """(code, file, line, column, severity, source, message) of every published TA finding."""
        out = []
        for uri, diags in sorted(published.items()):
            path = pathlib.Path(urllib.parse.unquote(urllib.parse.urlparse(uri).path))
            rel = os.path.relpath(path, project)
            for d in diags:
                code = d.get("code")
                if isinstance(code, str) and code.startswith("TA"):
                    start = d["range"]["start"]
                    sev = {1: "error", 2: "warning", 3: "info", 4: "hint"}.get(d.get("severity"))
                    out.append(
                        (code, rel, start["line"] + 1, start["character"] + 1, sev,
                         d.get("source", ""), d["message"].splitlines()[0])
                    )
        return out

    def received(published=published):
        return {d[:4] for d in ta_diagnostics(published)}

    # Phases: wait for the check rust-analyzer runs once the workspace is loaded and for its
    # findings; then save the file, as an editor does, and wait for the check that starts and
    # for its findings again (a check restarted by a save must publish them anew).
    rounds = 1 if args.no_save else 2
    done_rounds = 0
    checks_before_round = 0  # a round counts a check started after it began
    while time.monotonic() < deadline:
        if want and want <= received(since_check) and checks > checks_before_round:
            done_rounds += 1
            print(f"{stamp()} all {len(want)} findings published (check {checks})")
            if done_rounds == rounds:
                break
            saved = True
            checks_before_round = checks
            print(f"{stamp()} saving {args.open}")
            lsp.notify("textDocument/didSave", {"textDocument": {"uri": opened.as_uri()}})
        # If no check started a while after loading, a save starts one.
        if quiescent_at and not checks and not saved and time.monotonic() - quiescent_at > 10:
            saved = True
            print(f"{stamp()} no check yet; saving {args.open}")
            lsp.notify("textDocument/didSave", {"textDocument": {"uri": opened.as_uri()}})
        try:
            msg = lsp.inbox.get(timeout=1.0)
        except queue.Empty:
            continue
        if msg is None:
            print("ra-check: rust-analyzer exited", file=sys.stderr)
            print("".join(lsp.stderr_tail), file=sys.stderr)
            return 2
        method = msg.get("method")
        if args.verbose:
            print(f"{stamp()} <- {json.dumps(msg)[:300]}")
        if msg.get("id") == init_id and "result" in msg:
            lsp.notify("initialized", {})
            lsp.notify(
                "textDocument/didOpen",
                {
                    "textDocument": {
                        "uri": opened.as_uri(),
                        "languageId": "rust",
                        "version": 1,
                        "text": opened.read_text(),
                    }
                },
            )
        elif "id" in msg and method:
            # A request of the server (progress tokens, diagnostics refresh): accept it.
            lsp.send({"id": msg["id"], "result": None})
        elif method == "experimental/serverStatus":
            if msg["params"].get("quiescent") and quiescent_at is None:
                quiescent_at = time.monotonic()
                print(f"{stamp()} workspace loaded")
        elif method == "$/progress":
            value = msg["params"].get("value", {})
            if value.get("kind") == "begin" and msg["params"].get("token", "").startswith(
                "rust-analyzer/flycheck"
            ):
                checks += 1
                since_check.clear()
                print(f"{stamp()} check started: {value['title']}")
        elif method == "textDocument/publishDiagnostics":
            params = msg["params"]
            published[params["uri"]] = params["diagnostics"]
            since_check[params["uri"]] = params["diagnostics"]
    if quiescent_at is None and not checks:
        print("ra-check: rust-analyzer never finished loading the workspace", file=sys.stderr)
    lsp.close()
    if args.verbose:
        print("rust-analyzer's log (last lines):\n" + "".join(lsp.stderr_tail))

    for code, rel, line, col, sev, source, message in ta_diagnostics():
        print(f"  published {code} {sev:<7} {rel}:{line}:{col}  [{source}] {message}")
    others = sorted(
        {
            f"{d.get('source', '')}/{d.get('code')}"
            for diags in published.values()
            for d in diags
            if not str(d.get("code", "")).startswith("TA")
        }
    )
    if others:
        print(f"  other diagnostics published (source/code): {', '.join(others)}")
    got = received()
    codes = sorted({c for c, *_ in got})
    print(f"{stamp()} TA codes published by rust-analyzer: {', '.join(codes) or 'none'}")
    print(f"{len(got & want)} of the tool's {len(want)} findings published at their place")
    for miss in sorted(want - got):
        print(f"  missing: {miss[0]} {miss[1]}:{miss[2]}:{miss[3]}")
    for extra in sorted(got - want):
        print(f"  not a finding of the tool: {extra[0]} {extra[1]}:{extra[2]}:{extra[3]}")
    if done_rounds < rounds:
        print(f"ra-check: {rounds} check(s) with every finding expected, {done_rounds} seen")
    return 0 if want and want <= got and done_rounds == rounds else 1


if __name__ == "__main__":
    sys.exit(main())
