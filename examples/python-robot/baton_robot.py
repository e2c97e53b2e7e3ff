#!/usr/bin/env python3
"""A Baton robot in Python 3.11, standard library only: the robot protocol of
docs/robot-protocol.md spoken from a second language.

    BATON_ROBOT_KEY=baton_rk_... python3 baton_robot.py \\
        --url http://127.0.0.1:8080/default/DefaultTenant --name py-1 --slots 2 \\
        --command "Hello=python3 ../hello.py"

It serves the Python callables of PROCESSES (edit the mapping, or import this file and call
main(processes=...)) and the commands given with --command. It opens a session, claims
with a long-poll while slots are free, keeps one heartbeat waiting to learn of stops and
kills at once, sends logs every 250 ms and results as soon as a job ends, and on SIGTERM or
SIGINT stops claiming, gives running jobs --stop-grace seconds, then closes its session
(the orchestrator puts what it had not finished back to Pending).
"""
from __future__ import annotations

import argparse
import collections
import email.utils
import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from typing import Any, Callable

VERSION = f"baton-python-robot/1.0 (Python {sys.version.split()[0]})"
API = "/orchestrator_/api/robot/v1"
DEFAULT_BODY_LIMIT = 1024 * 1024  # until the session-open answer tells the tenant's own
MAX_LINE_CHARS = 10_000  # the orchestrator keeps log lines up to this many UTF-16 units
MAX_LOG_BATCH = 10_000
RESULT_RETRY_SECONDS = 600.0  # a result is retried this long through outages (the protocol's advice)
KILL_WAIT_SECONDS = 2.0  # after a kill, how long to wait for the process before reporting it stopped
STDERR_TAIL_LINES = 20


# ---- the processes a job may run

class JobFailed(Exception):
    """Raise from a process to fail its attempt with this error code (and details). The job is
    retried as its process's retry policy allows; with retryable=False (trying again cannot
    help: bad input, say) it ends Faulted at once."""

    def __init__(self, code: str, message: str, details: Any = None, retryable: bool = True):
        super().__init__(message)
        self.code, self.message, self.details, self.retryable = code, message, details, retryable

    def error(self) -> dict:
        e: dict = {"code": self.code, "message": self.message}
        if self.details is not None:
            e["details"] = self.details
        if not self.retryable:
            e["retryable"] = False
        return e


def greet(args: dict, ctx: "Job") -> dict:
    """Greets `name`; without one the job faults with MissingName."""
    name = args.get("name")
    if not isinstance(name, str) or not name:
        raise JobFailed("MissingName", "Greet needs a name: the input argument `name`.", retryable=False)
    ctx.log(f"Greeting {name}")
    return {"greeting": f"Hello, {name}!"}


def countdown(args: dict, ctx: "Job") -> dict:
    """Counts down `seconds`, a log line a second; a SoftStop ends it early, cleanly."""
    left = int(args.get("seconds", 10))
    while left > 0:
        ctx.log(f"{left} ...")
        if ctx.stopping.wait(1):
            ctx.log(f"stop requested with {left} s to go: stopping cleanly")
            return {"left": left}
        left -= 1
    return {"left": 0}


# Process name -> callable(input_arguments, ctx) returning the output arguments (a dict).
PROCESSES: dict[str, Callable[[dict, "Job"], Any]] = {"Greet": greet, "Countdown": countdown}


def command_process(argv: list[str], timeout: float | None = None) -> Callable[[dict, "Job"], dict]:
    """A process run as a command, as Baton's own robot runs one: the input arguments as
    JSON on stdin and in BATON_INPUT_FILE, the output arguments the JSON object it writes to
    BATON_OUTPUT_FILE; exit 0 is Successful, anything else ProcessExitCode with the tail of
    stderr; stdout and stderr lines are job logs. It runs in a process group of its own, so
    that a stop (SIGTERM) or a kill (SIGKILL) reaches whatever it started."""

    def run(args: dict, ctx: Job) -> dict:
        with tempfile.TemporaryDirectory(prefix="baton-job-") as folder:
            input_file, output_file = os.path.join(folder, "input.json"), os.path.join(folder, "output.json")
            text = json.dumps(args)
            with open(input_file, "w", encoding="utf-8") as f:
                f.write(text)
            # the robot's key is the robot's, not its processes'
            env = {k: v for k, v in os.environ.items() if k != "BATON_ROBOT_KEY"}
            env.update(BATON_INPUT_FILE=input_file, BATON_OUTPUT_FILE=output_file, BATON_JOB_KEY=ctx.key, BATON_PROCESS_NAME=ctx.process_name)
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                        start_new_session=True, text=True, encoding="utf-8", errors="replace")
            except OSError as err:
                raise JobFailed("ProcessStartFailed", f"Could not start {argv[0]}: {err}") from None
            ctx.attach(proc)
            tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)

            def pump(stream: Any, level: str) -> None:
                for line in stream:
                    line = line.rstrip("\r\n")
                    ctx.log(line, level)
                    if level == "error":
                        tail.append(line)

            def feed() -> None:
                try:
                    proc.stdin.write(text)
                    proc.stdin.close()
                except OSError:
                    pass  # a command that does not read stdin closes it early

            threads = [threading.Thread(target=pump, args=(proc.stdout, "info"), daemon=True),
                       threading.Thread(target=pump, args=(proc.stderr, "error"), daemon=True),
                       threading.Thread(target=feed, daemon=True)]
            for t in threads:
                t.start()
            timed_out = False
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                ctx.signal(signal.SIGKILL)
                code = proc.wait()
            for t in threads[:2]:
                t.join()
            stderr_tail = "\n".join(tail)
            if timed_out:
                raise JobFailed("Timeout", f"The command ran past its timeout of {timeout:g} s and was killed.", {"stderrTail": stderr_tail})
            if code != 0:
                killed_by = signal_name(-code) if code < 0 else None
                how = f"was killed by {killed_by}" if code < 0 else f"exited with code {code}"
                last = f": {tail[-1]}" if tail else ""
                raise JobFailed("ProcessExitCode", f"The command {how}{last}",
                                {"exitCode": code if code >= 0 else None, "signal": killed_by, "stderrTail": stderr_tail})
            return read_output(output_file)

    return run


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def read_output(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise JobFailed("InvalidOutput", f"BATON_OUTPUT_FILE could not be read: {err}") from None
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as err:
        raise JobFailed("InvalidOutput", f"BATON_OUTPUT_FILE does not hold valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise JobFailed("InvalidOutput", "BATON_OUTPUT_FILE must hold a JSON object.")
    return value


# ---- the protocol over HTTP

def say(message: str) -> None:
    """The robot's own diagnostics, a line each on stderr (never its key)."""
    print(f"{now_iso()} {message}", file=sys.stderr, flush=True)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dumps(value: Any) -> bytes:
    # NaN and Infinity are not JSON: a process returning them fails with InvalidOutput
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def cut_line(line: str) -> str:
    """A line the orchestrator would cut, cut here with its marker (counted in UTF-16 units, as it counts)."""
    units = len(line.encode("utf-16-le")) // 2
    if units <= MAX_LINE_CHARS:
        return line
    marker = f" … [truncated: {units} characters]"
    keep = (MAX_LINE_CHARS - len(marker)) * 2
    return line.encode("utf-16-le")[:keep].decode("utf-16-le", errors="ignore") + marker


class SessionLost(Exception):
    """404 session-not-found: the session ended (closed, or its lease ran out)."""


class Cancelled(Exception):
    """A long-poll this robot cut short itself (it is stopping, or its session changed)."""


class ProtocolError(Exception):
    """An answer of the orchestrator that is not 2xx, with its problem and Retry-After."""

    def __init__(self, status: int, problem: dict, retry_after: float | None):
        self.status, self.problem, self.retry_after = status, problem, retry_after
        self.code = problem.get("code") or "error"
        super().__init__(f"{status} {self.code}: {problem.get('detail') or ''}".rstrip(": "))


def transient(err: BaseException) -> bool:
    """Worth trying again: the network, a 5xx, 408, or 429."""
    if isinstance(err, ProtocolError):
        return err.status >= 500 or err.status in (408, 429)
    return isinstance(err, (OSError, http.client.HTTPException))


def describe(err: BaseException) -> str:
    return str(err) if isinstance(err, ProtocolError) else repr(err)


def pause_for(err: BaseException, backoff: float) -> float:
    """How long to wait before trying again: the answer's Retry-After when it gave one, else the backoff."""
    if isinstance(err, ProtocolError) and err.retry_after is not None:
        return err.retry_after
    return backoff


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class Connection:
    """One HTTP request per call. On a network failure, 502 or 503 the next tenant base is
    tried (each once). A long-poll given a `cancel` event can be cut short by abort()."""

    def __init__(self, bases: list[str], key: str):
        self.bases = [b.rstrip("/") for b in bases]
        self.key = key
        self.current = 0
        self.body_limit = DEFAULT_BODY_LIMIT
        self._lock = threading.Lock()
        self._polls: dict[http.client.HTTPConnection, threading.Event] = {}

    def call(self, method: str, path: str, body: Any = None, timeout: float = 30.0, cancel: threading.Event | None = None) -> Any:
        data = None if body is None else dumps(body)
        last: Exception = OSError("no orchestrator URL")
        for _ in self.bases:
            base = urllib.parse.urlsplit(self.bases[self.current])
            kind = http.client.HTTPSConnection if base.scheme == "https" else http.client.HTTPConnection
            conn = kind(base.netloc, timeout=timeout)
            try:
                if cancel is not None:
                    conn.connect()
                    with self._lock:
                        if cancel.is_set():
                            raise Cancelled()
                        self._polls[conn] = cancel
                headers = {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}
                if data is not None:
                    headers["Content-Type"] = "application/json"
                conn.request(method, base.path + API + path, body=data, headers=headers)
                res = conn.getresponse()
                status, text, retry_after = res.status, res.read(), res.getheader("Retry-After")
            except (OSError, http.client.HTTPException) as err:
                if cancel is not None and cancel.is_set():
                    raise Cancelled() from None
                last = err
                self.current = (self.current + 1) % len(self.bases)
                continue
            finally:
                with self._lock:
                    self._polls.pop(conn, None)
                conn.close()
            try:
                parsed = json.loads(text) if text else None
            except ValueError:
                parsed = None
            if 200 <= status < 300:
                if text and parsed is None:
                    raise http.client.HTTPException(f"{status} answer is not JSON")
                return parsed
            err = ProtocolError(status, parsed if isinstance(parsed, dict) else {}, parse_retry_after(retry_after))
            if status == 404 and err.code == "session-not-found":
                raise SessionLost()
            if status in (502, 503) and len(self.bases) > 1:
                last = err
                self.current = (self.current + 1) % len(self.bases)
                continue
            raise err
        raise last

    def abort(self, cancel: threading.Event) -> None:
        """Ends the long-polls waiting with `cancel` now (their calls raise Cancelled)."""
        cancel.set()
        with self._lock:
            for conn, c in self._polls.items():
                if c is cancel and conn.sock is not None:
                    try:
                        conn.sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def learn_limit(self, err: ProtocolError) -> bool:
        """A 413 naming a smaller limit than the one assumed: the limit is now that one."""
        limit = err.problem.get("limit")
        if err.status != 413 or not isinstance(limit, int) or not 0 < limit < self.body_limit:
            return False
        self.body_limit = limit
        return True


# ---- the robot

class Job:
    """A job this robot runs; its process gets it as `ctx`: ctx.log(message, level),
    ctx.stopping (set on SoftStop, Kill, or when the job is no longer this robot's),
    ctx.killed (set on Kill, or when a SoftStop's grace ran out), ctx.key, ctx.data."""

    def __init__(self, data: dict, session_id: str):
        self.data = data
        self.key: str = data["key"]
        self.process_name: str = data["processName"]
        self.input: dict = data.get("inputArguments") or {}
        self.session_id = session_id
        self.stopping = threading.Event()
        self.killed = threading.Event()
        self.strategy: str | None = None  # SoftStop or Kill, once asked
        self.handed_back = False  # no longer this robot's: report nothing
        self.reported = False
        self.killing = False
        self.done = threading.Event()  # the process returned
        self.grace_timer: threading.Timer | None = None
        self.lock = threading.Lock()
        self.send_lock = threading.Lock()  # log batches go out in order, and before the result
        self._logs: list[dict] = []
        self._proc: subprocess.Popen | None = None

    def log(self, message: Any, level: str = "info") -> None:
        line = {"message": cut_line(str(message)), "level": "error" if level == "error" else "info", "at": now_iso()}
        with self.lock:
            if not self.reported:
                self._logs.append(line)

    def take_logs(self) -> list[dict]:
        with self.lock:
            lines, self._logs = self._logs, []
        return lines

    def claim_report(self) -> bool:
        """True once: whoever gets it (the job's end, or a kill) reports the result."""
        with self.lock:
            if self.reported or self.handed_back:
                return False
            self.reported = True
            return True

    def attach(self, proc: subprocess.Popen) -> None:
        """A command's process: stops and kills reach its group from now on (at once if they came first)."""
        with self.lock:
            self._proc = proc
        if self.killed.is_set():
            self.signal(signal.SIGKILL)
        elif self.stopping.is_set():
            self.signal(signal.SIGTERM)

    def signal(self, sig: int) -> None:
        with self.lock:
            proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


class Robot:
    def __init__(self, conn: Connection, name: str, slots: int, processes: dict[str, Callable[[dict, Job], Any]],
                 stop_grace: float = 10.0, claim_wait: float = 30.0):
        self.conn, self.name, self.slots, self.processes = conn, name, slots, processes
        self.stop_grace, self.claim_wait = stop_grace, claim_wait
        self.lock = threading.Lock()
        self.slot_freed = threading.Condition(self.lock)
        self.running: dict[str, Job] = {}
        self.session_id: str | None = None
        self.heartbeat_seconds = 5.0
        self.lease_seconds = 15.0
        self.reopen_lock = threading.Lock()
        self.claims_stopped = threading.Event()
        self.heartbeats_stopped = threading.Event()
        self.claim_cancel = threading.Event()
        self.heartbeat_cancel = threading.Event()
        self.threads: list[threading.Thread] = []
        self.signals = 0  # SIGTERM/SIGINT received; the handler only counts (it may not take locks)
        self.fatal: str | None = None

    def run(self) -> int:
        """Works until SIGTERM or SIGINT (a second one cuts the grace short); the exit code."""
        def on_signal(_signum: int, _frame: Any) -> None:
            self.signals += 1
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.spawn(self.work, "work")
        while self.signals == 0 and self.fatal is None:
            time.sleep(0.1)
        return self.shutdown()

    def spawn(self, target: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        self.threads.append(t)
        t.start()

    def work(self) -> None:
        if self.open_session():
            self.spawn(self.claim_loop, "claims")
            self.spawn(self.heartbeat_loop, "heartbeats")
            self.spawn(self.log_loop, "logs")

    def open_session(self) -> bool:
        """Opens a session, retrying with backoff while the orchestrator is unreachable.
        False when the robot stops first, or the orchestrator refuses it for good (a key
        revoked, 401; a bad name, 400): then the robot exits."""
        backoff = 0.5
        while not self.claims_stopped.is_set():
            try:
                answer = self.conn.call("POST", "/sessions", {"robotName": self.name, "version": VERSION, "processes": sorted(self.processes), "slots": self.slots})
            except (ProtocolError, OSError, http.client.HTTPException) as err:
                if not transient(err):
                    self.fatal = f"the orchestrator refused the session: {err}"
                    say(self.fatal)
                    return False
                pause = pause_for(err, backoff)
                say(f"cannot open a session ({describe(err)}); retrying in {pause:.1f} s")
                self.claims_stopped.wait(pause)
                backoff = min(backoff * 2, 30.0)
                continue
            with self.lock:
                self.session_id = answer["sessionId"]
                self.heartbeat_seconds = float(answer.get("heartbeatSeconds") or 5)
                self.lease_seconds = float(answer.get("leaseSeconds") or 3 * self.heartbeat_seconds)
            limit = answer.get("maxRequestBodyBytes")
            if isinstance(limit, int) and limit > 0:
                self.conn.body_limit = limit
            say(f"robot {self.name} serving {', '.join(sorted(self.processes))} with {self.slots} slot(s) (session {answer['sessionId']})")
            return True
        return False

    def reopen(self, lost: str | None) -> None:
        """The session is gone: drop its jobs (the orchestrator retries them) and open a new one."""
        with self.reopen_lock:
            with self.lock:
                if self.session_id != lost:
                    return  # another loop did it already
                self.session_id = None
                jobs = list(self.running.values())
            say(f"session {lost} has ended (404 session-not-found): dropping its {len(jobs)} job(s) and opening a new session")
            for job in jobs:
                self.drop(job)
            self.open_session()
            # a claim still waiting on the old session would wait out its long-poll: cut it short
            self.conn.abort(self.claim_cancel)

    # -- claims

    def claim_loop(self) -> None:
        backoff = 0.25
        while not self.claims_stopped.is_set():
            with self.lock:
                free = self.slots - len(self.running)
                if free <= 0:
                    self.slot_freed.wait()  # notified when a job ends, and at shutdown
                    continue
                session = self.session_id
            if session is None:
                self.claims_stopped.wait(0.1)
                continue
            cancel = self.claim_cancel = threading.Event()
            if self.claims_stopped.is_set():
                break
            try:
                answer = self.conn.call("POST", f"/sessions/{session}/claim", {"max": min(free, 100), "waitSeconds": self.claim_wait},
                                        timeout=self.claim_wait + 30, cancel=cancel)
            except Cancelled:
                continue
            except SessionLost:
                self.reopen(session)
                continue
            except (ProtocolError, OSError, http.client.HTTPException) as err:
                if self.claims_stopped.is_set():
                    break
                pause = pause_for(err, backoff)
                say(f"claim failed ({describe(err)}); retrying in {pause:.1f} s")
                self.claims_stopped.wait(pause)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.25
            for data in (answer or {}).get("jobs", []):
                # claimed while stopping, or on a session that has since ended: not run here (the
                # session's close hands them back; an ended session's jobs are retried)
                if self.claims_stopped.is_set() or self.session_id != session:
                    continue
                self.start_job(data, session)

    def start_job(self, data: dict, session: str) -> None:
        job = Job(data, session)
        with self.lock:
            self.running[job.key] = job
        say(f"job {job.key}: {job.process_name} attempt {data.get('attempt')}")
        threading.Thread(target=self.run_job, args=(job,), name=f"job-{job.key[:8]}", daemon=True).start()

    def run_job(self, job: Job) -> None:
        handler = self.processes.get(job.process_name)
        try:
            if handler is None:
                raise JobFailed("ProcessNotServed", f"This robot does not serve {job.process_name}.")
            output = handler(job.input, job)
            outcome, body = "complete", {"outputArguments": output if isinstance(output, dict) else {}}
        except JobFailed as err:
            outcome, body = "fail", {"error": err.error()}
        except BaseException as err:  # a bug in a process faults its job, not the robot
            code = getattr(err, "code", None)
            outcome, body = "fail", {"error": {"code": code if isinstance(code, str) and code else "ProcessFailed",
                                               "message": str(err) or type(err).__name__, "details": {"exception": type(err).__name__}}}
        finally:
            job.done.set()
        try:
            if job.claim_report():
                self.flush_logs(job)
                # stopped, whatever the process answered, once a stop was asked (as Baton's robot does)
                if job.strategy is not None:
                    self.report(job, "stopped", None)
                else:
                    self.report(job, outcome, body)
        except Exception as err:
            say(f"job {job.key}: {describe(err)}")
        finally:
            self.release(job)

    def release(self, job: Job) -> None:
        if job.grace_timer is not None:
            job.grace_timer.cancel()
        with self.lock:
            if self.running.get(job.key) is job:
                del self.running[job.key]
                self.slot_freed.notify_all()

    # -- heartbeats, stops and kills

    def heartbeat_loop(self) -> None:
        while not self.heartbeats_stopped.is_set():
            started = time.monotonic()
            with self.lock:
                session = self.session_id
                listed: dict[str, None] = {key: None for key in self.running}  # every job held
                every, lease = self.heartbeat_seconds, self.lease_seconds
            if session is None:
                self.heartbeats_stopped.wait(0.1)
                continue
            cancel = self.heartbeat_cancel = threading.Event()
            if self.heartbeats_stopped.is_set():
                break
            try:
                # waits on the orchestrator for a stop or kill: one heartbeat is always waiting
                answer = self.conn.call("POST", f"/sessions/{session}/heartbeat", {"jobs": listed, "waitSeconds": min(every, lease / 2)},
                                        timeout=every + 30, cancel=cancel) or {}
            except Cancelled:
                continue
            except SessionLost:
                self.reopen(session)
                continue
            except (ProtocolError, OSError, http.client.HTTPException) as err:
                if self.heartbeats_stopped.is_set():
                    break
                # again within a second (a store outage answers 503), or after Retry-After, but
                # never so late that the lease runs out meanwhile
                pause = min(pause_for(err, min(1.0, every)), every)
                say(f"heartbeat failed ({describe(err)}); retrying in {pause:.1f} s")
                self.heartbeats_stopped.wait(pause)
                continue
            news = False
            for key in answer.get("stop", []):
                news |= self.request_stop(key, "SoftStop")
            for key in answer.get("kill", []):
                news |= self.request_stop(key, "Kill")
            for key in answer.get("lost", []):
                news |= self.lose(key)
            # a job being stopped is named in every answer, at once: only news skips the wait
            if not news:
                self.heartbeats_stopped.wait(max(0.0, every - (time.monotonic() - started)))

    def request_stop(self, key: str, strategy: str) -> bool:
        """SoftStop sets ctx.stopping (a command gets SIGTERM) and gives the job --stop-grace
        seconds; Kill (or the grace ending) kills it. True if this was news."""
        with self.lock:
            job = self.running.get(key)
        if job is None or job.strategy == "Kill" or job.strategy == strategy:
            return False
        if strategy == "Kill":
            self.kill(job)
            return True
        job.strategy = "SoftStop"
        say(f"job {key}: SoftStop")
        job.stopping.set()
        job.signal(signal.SIGTERM)
        job.grace_timer = threading.Timer(self.stop_grace, self.kill, (job,))
        job.grace_timer.daemon = True
        job.grace_timer.start()
        return True

    def kill(self, job: Job) -> None:
        """SIGKILL for a command, ctx.killed for a callable; reported stopped once the process
        has ended, or after a short wait whatever it does (a Python thread cannot be killed:
        a callable that ignores ctx.killed is abandoned)."""
        with job.lock:
            if job.killing or job.handed_back:
                return
            job.killing = True
        say(f"job {job.key}: Kill")
        job.strategy = "Kill"
        job.stopping.set()
        job.killed.set()
        job.signal(signal.SIGKILL)

        def finish() -> None:
            job.done.wait(KILL_WAIT_SECONDS)
            if not job.claim_report():
                return  # the job's own thread reports (stopped) and frees the slot
            try:
                self.flush_logs(job)
                self.report(job, "stopped", None)
            except Exception as err:
                say(f"job {job.key}: {describe(err)}")
            finally:
                self.release(job)

        threading.Thread(target=finish, daemon=True).start()

    def lose(self, key: str) -> bool:
        with self.lock:
            job = self.running.get(key)
        if job is None or job.reported:
            return False  # unknown, or its result was taken while the heartbeat was on its way
        say(f"job {key}: no longer this session's; dropped")
        self.drop(job)
        return True

    def drop(self, job: Job) -> None:
        """The job is no longer this robot's: end its process and report nothing."""
        with job.lock:
            job.handed_back = True
        job.stopping.set()
        job.killed.set()
        job.signal(signal.SIGKILL)
        self.release(job)

    # -- logs and results

    def log_loop(self) -> None:
        while not self.heartbeats_stopped.wait(0.25):
            with self.lock:
                jobs = [j for j in self.running.values() if not j.reported]
            for job in jobs:
                self.flush_logs(job)

    def flush_logs(self, job: Job, retry_seconds: float = RESULT_RETRY_SECONDS, wait: float = -1) -> None:
        """Sends the job's pending lines, in as many requests as the body limit needs; gives
        up after `wait` seconds if another flush of the job is still under way."""
        if not job.send_lock.acquire(timeout=wait):
            return
        try:
            lines = job.take_logs()
            while lines and not job.handed_back:
                batch = self.log_batch(lines)
                try:
                    self.retrying(job, lambda: self.conn.call("POST", f"/sessions/{job.session_id}/jobs/{job.key}/logs", {"lines": batch}), retry_seconds)
                except ProtocolError as err:
                    if self.conn.learn_limit(err):
                        continue
                    say(f"job {job.key}: {len(lines)} log line(s) not kept: {err}")
                    return
                except (SessionLost, OSError, http.client.HTTPException) as err:
                    say(f"job {job.key}: {len(lines)} log line(s) not kept: {describe(err)}")
                    return
                lines = lines[len(batch):]
        finally:
            job.send_lock.release()

    def log_batch(self, lines: list[dict]) -> list[dict]:
        """The first lines whose request fits the body limit (at least one; each is far below it)."""
        total, n = len(b'{"lines":[]}'), 0
        for line in lines[:MAX_LOG_BATCH]:
            size = len(dumps(line)) + (1 if n else 0)
            if n and total + size > self.conn.body_limit:
                break
            total, n = total + size, n + 1
        return lines[:max(n, 1)]

    def report(self, job: Job, outcome: str, body: dict | None) -> None:
        """Sends the job's result, through outages, until it is accepted or refused: a result
        is never silently dropped (the job would run again). One that cannot be sent as it is
        (too large, or refused as output the orchestrator cannot store) fails the job instead, once."""
        replaced = False
        while True:
            try:
                size = len(dumps(body)) if body is not None else 0
            except (TypeError, ValueError) as err:
                outcome, body, replaced = "fail", {"error": {"code": "InvalidOutput", "message": f"The job's output arguments are not JSON: {err}", "retryable": False}}, True
                continue
            if size > self.conn.body_limit and not replaced:
                outcome, body, replaced = "fail", {"error": self.too_large(outcome, body or {})}, True
                continue
            try:
                self.retrying(job, lambda: self.conn.call("POST", f"/sessions/{job.session_id}/jobs/{job.key}/{outcome}", body))
                say(f"job {job.key}: {outcome}")
                return
            except ProtocolError as err:
                if err.status == 409:
                    say(f"job {job.key}: result refused, the job is no longer this robot's ({err})")
                    return
                if err.status == 413 and not replaced:
                    self.conn.learn_limit(err)
                    outcome, body, replaced = "fail", {"error": self.too_large(outcome, body or {})}, True
                    continue
                if err.status == 400 and outcome != "stopped" and not replaced:
                    message = f"The orchestrator refused the job's result: {err.problem.get('detail') or err.code}"[:10_000]
                    outcome, body, replaced = "fail", {"error": {"code": "InvalidOutput", "message": message, "retryable": False}}, True
                    continue
                say(f"job {job.key}: result not delivered: {err}")
                return
            except SessionLost:
                say(f"job {job.key}: the session ended before its result was delivered; the orchestrator retries the job")
                return

    def too_large(self, outcome: str, body: dict) -> dict:
        what, part = ("output arguments", body.get("outputArguments")) if outcome == "complete" else ("error", body.get("error"))
        size = len(dumps(part))
        return {"code": "OutputTooLarge",
                "message": f"The job's {what} take {size} bytes as JSON; the orchestrator accepts at most {self.conn.body_limit} bytes "
                           "in a request (the tenant's maxRequestBodyBytes).",
                "details": {"sizeBytes": size, "limitBytes": self.conn.body_limit},
                # the same run would give the same result: not retried
                "retryable": False}

    def retrying(self, job: Job, send: Callable[[], Any], seconds: float = RESULT_RETRY_SECONDS) -> Any:
        """Retries through network failures and 5xx/408/429, with backoff or the answer's
        Retry-After, for up to `seconds`, or until the job is no longer this robot's."""
        deadline = time.monotonic() + seconds
        backoff = 0.2
        while True:
            try:
                return send()
            except (ProtocolError, OSError, http.client.HTTPException) as err:
                pause = pause_for(err, backoff)
                if not transient(err) or job.handed_back or time.monotonic() + pause > deadline:
                    raise
                say(f"job {job.key}: {describe(err)}; retrying in {pause:.1f} s")
                time.sleep(pause)
                backoff = min(backoff * 2, 5.0)

    # -- stopping the robot

    def active(self) -> int:
        with self.lock:
            return len(self.running)

    def shutdown(self) -> int:
        """Stops claiming, lets running jobs finish for --stop-grace seconds (heartbeats go on,
        so stops and kills are still honoured), ends what is left, and closes the session:
        the orchestrator puts the jobs it still holds back to Pending."""
        if self.fatal is None:
            say(f"stopping: no more claims; {self.active()} running job(s) get {self.stop_grace:g} s to finish")
        self.claims_stopped.set()
        self.conn.abort(self.claim_cancel)
        with self.lock:
            self.slot_freed.notify_all()
        deadline = time.monotonic() + self.stop_grace
        while self.active() > 0 and time.monotonic() < deadline and self.signals < 2:
            time.sleep(0.05)
        self.heartbeats_stopped.set()
        self.conn.abort(self.heartbeat_cancel)
        for t in self.threads:
            t.join(timeout=5)
        with self.lock:
            left = list(self.running.values())
        for job in left:
            self.flush_logs(job, retry_seconds=2.0, wait=2.0)
        for job in left:
            self.drop(job)
        # let killed commands die (and be reaped) before their jobs are handed back
        until = time.monotonic() + KILL_WAIT_SECONDS
        for job in left:
            job.done.wait(max(0.0, until - time.monotonic()))
        session = self.session_id
        if session is not None:
            for attempt in range(5):
                try:
                    self.conn.call("DELETE", f"/sessions/{session}")
                    say(f"session {session} closed; {len(left)} unfinished job(s) handed back")
                    break
                except SessionLost:
                    break
                except (ProtocolError, OSError, http.client.HTTPException) as err:
                    if not transient(err) or attempt == 4:
                        say(f"could not close session {session}: {describe(err)}; its lease will run out")
                        break
                    time.sleep(min(pause_for(err, 0.5), 2.0))
        return 2 if self.fatal else 0


# ---- configuration

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description="A Baton robot in Python (docs/robot-protocol.md).")
    p.add_argument("--url", default=env("BATON_URL"), help="tenant base, e.g. http://127.0.0.1:8080/default/DefaultTenant; "
                   "several comma-separated are tried in turn (BATON_URL)")
    p.add_argument("--key", default=env("BATON_ROBOT_KEY"), help="the robot key (BATON_ROBOT_KEY; prefer the variable, arguments show in ps)")
    p.add_argument("--name", default=env("BATON_ROBOT_NAME") or socket.gethostname(), help="robot name (BATON_ROBOT_NAME; default: the host name)")
    p.add_argument("--slots", type=int, default=int(env("BATON_ROBOT_SLOTS") or 1), help="jobs run at once (BATON_ROBOT_SLOTS; default 1)")
    p.add_argument("--stop-grace", type=float, default=10.0, metavar="SECONDS",
                   help="how long a SoftStop, or SIGTERM to the robot, gives a job before it is killed (default 10)")
    p.add_argument("--command", action="append", default=[], metavar="NAME=COMMAND",
                   help='serve process NAME by running COMMAND (split like a shell line), e.g. "Hello=python3 hello.py"; repeatable')
    p.add_argument("--command-timeout", type=float, default=None, metavar="SECONDS", help="kill a command past this (the job faults with Timeout)")
    p.add_argument("--claim-wait", type=float, default=30.0, metavar="SECONDS", help="how long a claim waits on the orchestrator (0-30)")
    args = p.parse_args(argv)
    if not args.url:
        p.error("the orchestrator URL is missing: --url or BATON_URL")
    if not args.key:
        p.error("the robot key is missing: BATON_ROBOT_KEY or --key")
    if not 1 <= args.slots <= 100_000:
        p.error("--slots must be from 1 to 100000")
    if not 0 <= args.claim_wait <= 30:
        p.error("--claim-wait must be from 0 to 30")
    return args


def main(argv: list[str] | None = None, processes: dict[str, Callable[[dict, Job], Any]] | None = None) -> int:
    args = parse_args(argv)
    served = dict(PROCESSES if processes is None else processes)
    for spec in args.command:
        name, sep, command = spec.partition("=")
        if not sep or not name.strip() or not command.strip():
            print(f"--command {spec!r}: expected NAME=COMMAND", file=sys.stderr)
            return 2
        served[name.strip()] = command_process(shlex.split(command), args.command_timeout)
    bases = [u.strip() for u in args.url.split(",") if u.strip()]
    robot = Robot(Connection(bases, args.key), args.name, args.slots, served, args.stop_grace, args.claim_wait)
    return robot.run()


if __name__ == "__main__":
    sys.exit(main())
