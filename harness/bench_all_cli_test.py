"""End-to-end tests of the bench_all binary: bad invocations, --list, a quick
run validated by the results reader, and an interrupted run.

Run by scripts/test.sh after the build; RATELAB_BENCH_ALL overrides the
binary's path.
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import results  # noqa: E402  (the scripts' reader and schema check)

BIN = os.environ.get(
    "RATELAB_BENCH_ALL", os.path.join(ROOT, "build", "release", "harness", "bench_all"))


def load_json(*parts):
    with open(os.path.join(*parts)) as f:
        return json.load(f)


def run(args, timeout=120, **kw):
    return subprocess.run([BIN] + args, capture_output=True, text=True,
                          timeout=timeout, **kw)


# (arguments, text the error must contain). Each must exit 2 and leave no
# results folder behind.
BAD = [
    (["--variants=no_such_limiter"], "--variants=no_such_limiter"),
    (["--variants=(["], "--variants=(["),
    (["--experiments=scaling,speed"], "unknown experiment 'speed'"),
    (["--experiments="], "--experiments="),
    (["--threads=0"], "--threads=0"),
    (["--threads=4097"], "thread count 4097"),
    (["--threads=1,x"], "'x' is not a number"),
    (["--duration=0"], "--duration=0"),
    (["--duration=-0.5"], "--duration=-0.5"),
    (["--accuracy_duration=0"], "--accuracy_duration=0"),
    (["--repetitions=-1"], "--repetitions=-1"),
    (["--cpus=0-"], "--cpus=0-"),
    (["--cpus=a"], "--cpus=a"),
    (["--cpus=9999"], "CPU 9999 is not online"),
    (["--events=no-such-event-xyz"], "no-such-event-xyz"),
    (["--tick_us=0"], "--tick_us=0"),
    (["--tick_us=2000000"], "--tick_us=2000000"),
    (["--repetitions=0"], "--repetitions=0"),
    (["--warmup=-1"], "--warmup=-1"),
    (["--percall_min_time=0"], "--percall_min_time=0"),
    (["--duration=abc"], "--duration=abc"),
    (["--threads=,,"], "--threads=,,"),
    (["--variants=" + "x" * 300], "longer than 200"),
    (["--nosuch_flag=1"], "unknown flag --nosuch_flag"),
    (["stray_argument"], "unexpected argument 'stray_argument'"),
    (["--processes=0"], "--processes=0"),
    (["--processes=65"], "--processes=65"),
    (["--redis=nocolon"], "--redis=nocolon"),
    (["--redis=localhost:99999"], "port '99999'"),
    # Nothing listens on port 1: refused before any folder is made.
    (["--redis=127.0.0.1:1", "--variants=redis_gcra"], "--redis=127.0.0.1:1"),
]


class BadInvocationTest(unittest.TestCase):
    def test_each_bad_flag_is_refused_and_leaves_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            for args, needle in BAD:
                with self.subTest(args=args):
                    p = run(args + ["--quick", "--out=" + out])
                    self.assertEqual(p.returncode, 2, p.stderr)
                    self.assertIn(needle, p.stderr)
                    self.assertIn("bench_all: error:", p.stderr)
                    self.assertEqual(p.stdout, "")
                    self.assertFalse(os.path.exists(out), "left a folder behind")

    def test_unwritable_output_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            afile = os.path.join(tmp, "a_file")
            with open(afile, "w"):
                pass
            p = run(["--quick", "--out=" + os.path.join(afile, "sub")])
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("--out=", p.stderr)
            self.assertIn("is not a directory", p.stderr)

    def test_file_size_limit_fails_cleanly(self):
        # A full disk, simulated by a file size limit: the run stops with the
        # file's name and the reason, exits 1, and leaves only whole files.
        import resource

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

        with tempfile.TemporaryDirectory() as tmp:
            p = run(["--experiments=scaling", "--threads=1,2", "--duration=0.01",
                     "--repetitions=20", "--events=none", "--out=" + tmp],
                    preexec_fn=small_files)
            self.assertEqual(p.returncode, 1, p.stderr[-1000:])
            self.assertIn("scaling.json", p.stderr)
            self.assertIn("File too large", p.stderr)
            (run_dir,) = os.listdir(tmp)
            path = os.path.join(tmp, run_dir)
            self.assertEqual([f for f in os.listdir(path) if f.startswith(".")], [])
            run_json = load_json(path, "run.json")
            self.assertEqual(run_json["status"], "failed")
            self.assertIn("File too large", run_json["error"])
            # What was written before is whole and readable.
            self.assertGreater(len(load_json(path, "scaling.json")["records"]), 0)

    def test_unavailable_event_is_a_warning(self):
        # A name libpfm4 knows: a warning and a null where the machine cannot
        # count it; no warning where it can.
        with tempfile.TemporaryDirectory() as tmp:
            p = run(["--quick", "--experiments=scaling", "--variants=null",
                     "--threads=1", "--events=cycles,context-switches",
                     "--out=" + tmp])
            self.assertEqual(p.returncode, 0, p.stderr)
            (run_dir,) = os.listdir(tmp)
            machine = load_json(tmp, run_dir, "machine.json")
            cyc = machine["counters"]["cycles"]
            if not cyc["available"]:
                self.assertIn("warning: event cycles unavailable", p.stderr)
                self.assertTrue(cyc["reason"])
            self.assertTrue(machine["counters"]["context-switches"]["available"])


class ListTest(unittest.TestCase):
    def test_list_prints_one_name_per_line(self):
        p = run(["--list"])
        self.assertEqual(p.returncode, 0)
        names = p.stdout.split()
        self.assertIn("single_atomic", names)
        self.assertIn("leased_token_bucket", names)
        self.assertEqual(len(names), len(set(names)))


class QuickRunTest(unittest.TestCase):
    def test_quick_run_writes_a_valid_results_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = run(["--quick", "--out=" + tmp], timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            (run_dir,) = os.listdir(tmp)
            path = os.path.join(tmp, run_dir)
            res = results.load(path)  # raises ResultsError on any schema break
            run_json = load_json(path, "run.json")
            self.assertEqual(run_json["status"], "complete")
            self.assertEqual(run_json["points_done"], run_json["points_total"])
            names = set(run(["--list"]).stdout.split())
            scaling = load_json(path, "scaling.json")["records"]
            accuracy = load_json(path, "accuracy.json")["records"]
            percall = load_json(path, "percall.json")
            # Every variant in every experiment (percpu_rseq may be skipped
            # only where rseq is not registered).
            skip = set() if load_json(path, "machine.json")[
                "rseq_registered"] else {"percpu_rseq"}
            self.assertEqual({r["variant"] for r in scaling} | skip, names)
            self.assertEqual({r["variant"] for r in accuracy} | skip, names)
            bm = {b["name"] for b in percall["benchmarks"]}
            for n in names - skip:
                self.assertIn("BM_Admit/" + n, bm)
                self.assertIn("BM_Reject/" + n, bm)
            for r in scaling:
                self.assertEqual(r["attempts"], sum(t["attempts"] for t in r["per_thread"]))
                self.assertEqual(r["oversubscribed"],
                                 r["threads"] > len(run_json["flags"]["cpus"]))
                # Pinned workers were seen only on their CPU.
                for t in r["per_thread"]:
                    self.assertEqual(t["cpus_seen"], [t["cpu_requested"]])
            for r in accuracy:
                self.assertEqual(r["admitted"], sum(r["bins"]))
                self.assertEqual(r["admitted"] + r["rejected"], r["attempts"])
            # No temporary files left.
            self.assertEqual([f for f in os.listdir(path) if f.startswith(".")], [])
            self.assertIsNotNone(res)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServerProcess:
    """A redis-server on a free loopback port, which the test can kill and
    start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


class RedisTest(unittest.TestCase):
    def test_processes_share_one_limit_and_their_records_merge(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = run(["--quick", "--variants=redis_gcra,redis_leased,token_bucket",
                     "--threads=1,2", "--experiments=scaling,accuracy",
                     "--out=" + tmp], timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr[-2000:])
            self.assertIn("in 2 processes", p.stderr)
            self.assertIn("started redis-server", p.stderr)
            (run_dir,) = os.listdir(tmp)
            path = os.path.join(tmp, run_dir)
            results.load(path)
            self.assertTrue(load_json(path, "machine.json")["redis"]["started_by_bench_all"])
            for name in ("scaling.json", "accuracy.json"):
                for r in load_json(path, name)["records"]:
                    store = r["variant"].startswith("redis_")
                    want = 2 if store and r["threads"] == 2 else 1
                    self.assertEqual(r["processes"], want, r["variant"])
                    if name == "scaling.json":
                        procs = sorted(t["process"] for t in r["per_thread"])
                        self.assertEqual(procs, list(range(want)) if want == 2 else [0] * r["threads"])
                        self.assertEqual(r["attempts"], sum(t["attempts"] for t in r["per_thread"]))
                    else:
                        self.assertEqual(r["admitted"], sum(r["bins"]))
                        self.assertEqual(len(r["per_thread_admitted"]), r["threads"])
                        self.assertEqual(r["metrics"]["promise_violations"], 0, r["variant"])
                    self.assertEqual(r["store_refusals"], 0)
            # The leased variant's bound counts the handles of both processes.
            leased = [r for r in load_json(path, "accuracy.json")["records"]
                      if r["variant"] == "redis_leased"]
            self.assertTrue(leased)
            self.assertIn("T=2 handles over all processes", leased[0]["promise"]["note"])

    def test_killed_server_mid_run_is_refused_and_counted(self):
        server = RedisServerProcess()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                p = subprocess.Popen(
                    [BIN, "--redis=127.0.0.1:%d" % server.port, "--variants=redis_gcra",
                     "--experiments=accuracy", "--threads=1", "--repetitions=1",
                     "--accuracy_duration=2", "--warmup=0.01", "--out=" + tmp],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                # The first point (saturating) measures for 2 s from about
                # 0.01 s after the folder appears: kill the server about
                # 0.9 s after that, and bring it back 0.4 s later.
                deadline = time.time() + 30
                while time.time() < deadline and not os.listdir(tmp):
                    time.sleep(0.01)
                time.sleep(0.9)
                server.kill()
                time.sleep(0.4)
                server.start()
                _, err = p.communicate(timeout=120)
                self.assertEqual(p.returncode, 0, err[-2000:])
                self.assertIn("unreachable", err)
                self.assertIn("reachable again", err)
                (run_dir,) = os.listdir(tmp)
                path = os.path.join(tmp, run_dir)
                results.load(path)
                first = load_json(path, "accuracy.json")["records"][0]
                self.assertEqual(first["pattern"], "saturating")
                self.assertGreater(first["store_refusals"], 0)
                bins = first["bins"]
                # Admissions before, none for a stretch (fail closed), and
                # admissions again after the restart.
                zero_run = best = 0
                for b in bins:
                    zero_run = zero_run + 1 if b == 0 else 0
                    best = max(best, zero_run)
                self.assertGreaterEqual(best, 300, "no outage visible in the 1 ms bins")
                self.assertGreater(sum(bins[:300]), 0)
                self.assertGreater(sum(bins[-300:]), 0, "no recovery after the restart")
        finally:
            server.stop()


class InterruptTest(unittest.TestCase):
    def _interrupt(self, sig):
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.Popen(
                [BIN, "--experiments=scaling", "--threads=1,2", "--duration=0.05",
                 "--repetitions=50", "--events=none", "--out=" + tmp],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Interrupt at a random point: after 1 to 8 finished points, plus
            # a random fraction of the next one.
            rng = random.Random()
            seed = rng.randrange(1 << 30)
            rng.seed(seed)
            after = rng.randint(1, 8)
            deadline = time.time() + 60
            run_json = None
            while time.time() < deadline:
                dirs = os.listdir(tmp)
                if dirs:
                    f = os.path.join(tmp, dirs[0], "run.json")
                    if os.path.exists(f):
                        run_json = load_json(f)
                        if run_json["points_done"] >= after:
                            break
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.1))
            p.send_signal(sig)
            _, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 130, f"seed {seed}: {err[-1000:]}")
            (run_dir,) = os.listdir(tmp)
            path = os.path.join(tmp, run_dir)
            self.assertEqual([f for f in os.listdir(path) if f.startswith(".")], [])
            run_json = load_json(path, "run.json")
            self.assertEqual(run_json["status"], "interrupted")
            scaling = load_json(path, "scaling.json")["records"]
            self.assertGreaterEqual(len(scaling), after)
            self.assertEqual(len(scaling), run_json["points_done"])
            self.assertLess(run_json["points_done"], run_json["points_total"])
            results.load(path)  # the reader accepts an interrupted run
            self.assertIn("interrupted", err)
            # The scripts draw and report it.
            report = os.path.join(tmp, "REPORT.md")
            for script, args in (("plot.py", [path]),
                                 ("report.py", ["--init", path, report])):
                q = subprocess.run(
                    ["/usr/bin/python3", os.path.join(ROOT, "scripts", script)] + args,
                    capture_output=True, text=True, timeout=300)
                self.assertEqual(q.returncode, 0, q.stderr[-2000:])
            with open(report) as f:
                self.assertIn("interrupted", f.read())

    def test_sigint_keeps_completed_points(self):
        self._interrupt(signal.SIGINT)

    def test_sigterm_keeps_completed_points(self):
        self._interrupt(signal.SIGTERM)


if __name__ == "__main__":
    unittest.main()
