"""How long recompute + every form check take per form, records read once up front.

    python benchmarks/checks.py                      # this working tree
    python benchmarks/checks.py --baseline 6bee5ef   # the same, before → after

Reads every form of the generated corpus (/tmp/jixiao-bench-1000, made by
``benchmarks/check.py`` when absent), of samples/prefilled, samples/returned and of
tests/data/seeds once, then times only ``recompute`` + ``run_checks`` over those records in
several passes and prints the best pass in ms per form. Reading is not timed: that is the
readers' and the layout parser's business (benchmarks/check.py times the whole pipeline).

With ``--baseline REV`` the records are read by ``git archive REV src templates`` and the
same measurement runs on that tree and on this one, each in a fresh process, over the very
same records; a digest of every recomputed value and finding is compared: a faster check
that finds something else is a bug, not a speed-up.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CORPORA = {
    "generated (label parser)": ["{tmp}/jixiao-bench-1000/unit*/*.xlsx"],
    "our templates": ["samples/prefilled/*.xlsx", "samples/returned/*.xlsx"],
    "seeds (text)": ["tests/data/seeds/*.txt"],
}


def _files(patterns: list[str]) -> list[str]:
    tmp = tempfile.gettempdir()
    return sorted(p for pattern in patterns
                  for p in glob.glob(str(ROOT / pattern.format(tmp=tmp))))


def read_records(out: str) -> None:
    """Run in the process whose readers read the corpora: pickles [(corpus, records)]."""
    from jixiao.checking import read_forms

    corpora = [(corpus, [record for path in _files(patterns) for record in read_forms(path)])
               for corpus, patterns in CORPORA.items()]
    with open(out, "wb") as f:
        pickle.dump(corpora, f)


def measure(records_file: str, passes: int) -> dict:
    """Run in the process whose ``jixiao`` is under test; returns ms/form per corpus."""
    from jixiao.checking import _profile_of
    from jixiao.checks.registry import run_checks
    from jixiao.scoring import recompute

    with open(records_file, "rb") as f:
        corpora = pickle.load(f)
    results = {}
    for corpus, forms in corpora:
        if not forms:
            continue
        records = [(record, _profile_of(record)) for record in forms]
        digest = hashlib.sha256()
        for record, profile in records:  # also warms imports and caches, as in a long run
            recomputed = recompute(record, profile)
            findings = run_checks(record, profile, recomputed=recomputed)
            digest.update(json.dumps([recomputed.to_dict(), [f.to_dict() for f in findings]],
                                     ensure_ascii=False, sort_keys=True, default=str).encode())
        # a small corpus is gone through several times per pass, so that every pass is long
        # enough (≥ 1,000 forms) for a timer and a busy machine
        rounds = -(-1000 // len(records))
        best = float("inf")
        for _ in range(passes):
            start = time.perf_counter()
            for _ in range(rounds):
                for record, profile in records:
                    run_checks(record, profile, recomputed=recompute(record, profile))
            best = min(best, time.perf_counter() - start)
        results[corpus] = {"forms": len(records),
                           "ms_per_form": best * 1000 / (len(records) * rounds),
                           "digest": digest.hexdigest()[:16]}
    return results


def _in(src: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(src))
    return subprocess.run([sys.executable, __file__, *args], env=env, check=True,
                          capture_output=True, text=True, cwd=ROOT).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision to compare with (before → after)")
    parser.add_argument("--passes", type=int, default=7, help="timed passes; the best counts")
    parser.add_argument("--read", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read_records(args.read)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.passes)))
        return

    if not _files(CORPORA["generated (label parser)"]):
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "check.py"), "--n", "1000"],
                       check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        records = str(Path(tmp) / "records.pickle")
        before = None
        if args.baseline:
            archive = subprocess.run(["git", "archive", args.baseline, "src", "templates"],
                                     cwd=ROOT, check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            # the baseline reads: both sides check the very same records
            _in(Path(tmp) / "src", "--read", records)
            before = json.loads(_in(Path(tmp) / "src", "--measure", records,
                                    "--passes", str(args.passes)))
        else:
            _in(ROOT / "src", "--read", records)
        after = json.loads(_in(ROOT / "src", "--measure", records, "--passes", str(args.passes)))

    print(f"recompute + run_checks, best of {args.passes} passes, ms per form")
    for corpus, now in after.items():
        line = f"{corpus:<26} {now['forms']:>5} forms  "
        if before and corpus in before:
            was = before[corpus]
            same = "same findings" if was["digest"] == now["digest"] else "FINDINGS DIFFER"
            line += (f"{was['ms_per_form']:.3f} → {now['ms_per_form']:.3f} ms/form "
                     f"({was['ms_per_form'] / now['ms_per_form']:.1f}x, {same})")
        else:
            line += f"{now['ms_per_form']:.3f} ms/form"
        print(line)


if __name__ == "__main__":
    main()
