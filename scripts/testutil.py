"""Helpers shared by the scripts' tests: fixture paths and scratch copies."""

import json
import os
import shutil
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "testdata")
GOOD = ("small_run", "hw_counters", "interrupted")
BROKEN = {  # fixture -> (file the message must name, words it must contain)
    "broken_truncated": ("scaling.json", "truncated JSON"),
    "broken_missing": ("machine.json", "missing file"),
    "broken_key": ("scaling.json", "missing key 'attempts'"),
}


def fixture(name):
    return os.path.join(TESTDATA, name)


class Scratch:
    """A temporary folder holding copies of fixtures, removed afterwards.
    Tests never write into testdata/ (figures, reports, edits go here)."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="ratelab-test-")

    def copy(self, name, as_name=None):
        dst = os.path.join(self.root, as_name or name)
        shutil.copytree(fixture(name), dst)
        return dst

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def read_json(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return json.load(f)


def write_json(folder, name, doc):
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        json.dump(doc, f)
