"""Fuzzes the results reader the scripts share (results.load) and the two
CLIs: mutated copies of a fixture results folder, byte-level and JSON-level,
must either load or be refused with ResultsError naming a file; the CLIs
must exit 0 or 2 with a one-line message, never a traceback.

Two parts: a sweep that damages every field of every fixture file once with
each odd value (one representative element per array, so every key path in
the schema is hit), and random byte- and JSON-level mutations. The random part
is seeded: RATELAB_FUZZ_SEED picks the seed (default fixed, so CI is
repeatable; "random" draws one), a failure prints seed and mutation, and
RATELAB_FUZZ_SECONDS sets its time budget (default 10 s).
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import results  # noqa: E402

FIXTURE = os.path.join(HERE, "testdata", "small_run")
FILES = ["run.json", "machine.json", "scaling.json", "accuracy.json", "percall.json"]
SECONDS = float(os.environ.get("RATELAB_FUZZ_SECONDS", "10"))
_SEED = os.environ.get("RATELAB_FUZZ_SEED", "20261204")
SEED = random.randrange(1 << 30) if _SEED == "random" else int(_SEED)

# Values that break types in interesting ways.
ODD_VALUES = [None, -1, 0, 1e308, -1e308, "", "x", [], {}, True, 2 ** 70, [None], {"a": 1}]


def mutate_bytes(rng, data):
    """Byte-level damage: truncation, flipped bytes, inserted junk."""
    choice = rng.randrange(4)
    if choice == 0 and data:
        return data[: rng.randrange(len(data))], "truncate"
    if choice == 1 and data:
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b), "flip bytes"
    if choice == 2:
        at = rng.randrange(len(data) + 1)
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        return data[:at] + junk + data[at:], "insert junk"
    return b"", "empty file"


def walk(value, path=()):
    """Every (path, value) inside a JSON value."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, path + (i,))


def mutate_json(rng, doc):
    """JSON-level damage: a value replaced by one of another type, a key
    removed, a list emptied."""
    places = list(walk(doc))
    path, _ = places[rng.randrange(len(places))]
    if not path:
        return rng.choice(ODD_VALUES), "replace document"
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    key = path[-1]
    choice = rng.randrange(3)
    if choice == 0 and isinstance(parent, dict):
        del parent[key]
        return doc, f"delete {'/'.join(map(str, path))}"
    if choice == 1 and isinstance(parent[key], list):
        parent[key] = []
        return doc, f"empty {'/'.join(map(str, path))}"
    parent[key] = rng.choice(ODD_VALUES)
    return doc, f"replace {'/'.join(map(str, path))} with {parent[key]!r}"


def single_field_damage(doc):
    """Every (damaged copy, description) that changes one field of doc: each
    key path once (array elements collapsed to their first), replaced by each
    odd value, deleted, or emptied."""
    seen = set()
    for path, value in walk(doc):
        pattern = tuple("*" if isinstance(p, int) else p for p in path)
        if not path or pattern in seen:
            continue
        seen.add(pattern)
        name = "/".join(map(str, path))
        edits = [(v, f"replace {name} with {v!r}") for v in ODD_VALUES]
        edits.append(("delete", f"delete {name}"))
        if isinstance(value, list):
            edits.append(("empty", f"empty {name}"))
        for edit, what in edits:
            copy = json.loads(json.dumps(doc))
            parent = copy
            for p in path[:-1]:
                parent = parent[p]
            if edit == "delete":
                if not isinstance(parent, dict):
                    continue
                del parent[path[-1]]
            elif edit == "empty":
                parent[path[-1]] = []
            else:
                parent[path[-1]] = json.loads(json.dumps(edit))
            yield copy, what


class ResultsReaderFuzzTest(unittest.TestCase):
    def test_every_field_damaged_loads_or_is_refused_naming_its_file(self):
        tried = refused = 0
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "run")
            shutil.copytree(FIXTURE, folder)
            for target in FILES:
                path = os.path.join(folder, target)
                with open(path, "rb") as fh:
                    original = fh.read()
                for doc, what in single_field_damage(json.loads(original)):
                    with open(path, "w") as fh:
                        json.dump(doc, fh)
                    tried += 1
                    try:
                        results.load(folder)
                    except results.ResultsError as e:
                        refused += 1
                        self.assertIn(target, str(e), f"{what}: message names no file")
                    except Exception as e:  # noqa: BLE001 - the point of the test
                        self.fail(f"{target}: {what}: {type(e).__name__}: {e}")
                with open(path, "wb") as fh:
                    fh.write(original)
        # Each schema key is damaged at least once, and most damage is refused.
        self.assertGreater(tried, 1000)
        self.assertGreater(refused, tried // 2)

    def test_mutated_folders_load_or_are_refused_naming_a_file(self):
        seed = SEED
        rng = random.Random(seed)
        originals = {}
        for f in FILES:
            with open(os.path.join(FIXTURE, f), "rb") as fh:
                originals[f] = fh.read()
        deadline = time.time() + SECONDS
        tried = refused = 0
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "run")
            while time.time() < deadline:
                shutil.rmtree(folder, ignore_errors=True)
                os.mkdir(folder)
                for f, data in originals.items():
                    with open(os.path.join(folder, f), "wb") as fh:
                        fh.write(data)
                target = rng.choice(FILES)
                if rng.random() < 0.5:
                    data, what = mutate_bytes(rng, originals[target])
                    with open(os.path.join(folder, target), "wb") as fh:
                        fh.write(data)
                elif rng.random() < 0.9:
                    doc, what = mutate_json(rng, json.loads(originals[target]))
                    with open(os.path.join(folder, target), "w") as fh:
                        json.dump(doc, fh)
                else:
                    os.remove(os.path.join(folder, target))
                    what = "remove file"
                tried += 1
                try:
                    results.load(folder)
                except results.ResultsError as e:
                    refused += 1
                    self.assertTrue(any(f in str(e) for f in FILES),
                                    f"seed {seed}: {target}: {what}: message names no file: {e}")
                except Exception as e:  # noqa: BLE001 - the point of the test
                    self.fail(f"seed {seed}: {target}: {what}: {type(e).__name__}: {e}")
        self.assertGreater(tried, 50)
        self.assertGreater(refused, 0)
        print(f"results reader fuzz: {tried} mutated folders, {refused} refused, seed {seed}",
              file=sys.stderr)

    def test_clis_refuse_damaged_folders_without_a_traceback(self):
        rng = random.Random(1)
        with tempfile.TemporaryDirectory() as tmp:
            for i, target in enumerate(FILES):
                folder = os.path.join(tmp, f"run{i}")
                shutil.copytree(FIXTURE, folder)
                path = os.path.join(folder, target)
                with open(path, "rb") as fh:
                    data = fh.read()
                with open(path, "wb") as fh:
                    fh.write(data[: rng.randrange(1, len(data) // 2)])
                for script, args in (("plot.py", [folder]),
                                     ("report.py", ["--init", folder,
                                                    os.path.join(tmp, f"R{i}.md")])):
                    p = subprocess.run(
                        ["/usr/bin/python3", os.path.join(HERE, script)] + args,
                        capture_output=True, text=True, timeout=300)
                    self.assertEqual(p.returncode, 2, f"{script} on {target}: {p.stderr}")
                    self.assertNotIn("Traceback", p.stderr)
                    self.assertIn(target, p.stderr)


if __name__ == "__main__":
    unittest.main()
