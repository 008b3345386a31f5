#!/usr/bin/env python3
"""Mutation testing of the memory orders in gocxx's primitive headers.

Project rule: weakening any memory order must make a model-checking suite fail, or the docs must
say why it is benign. For every memory order in the shipped primitive headers this script builds
one mutant per one-step weakening, rebuilds the model-checker driver, runs the suites that cover
the header, and reports which mutants the suites kill. See docs/verification.md, "Mutation testing".

    python3 verification/mutate.py                 # full run (baseline first)
    python3 verification/mutate.py --list          # only list the sites and mutants
    python3 verification/mutate.py --files spin.hpp parker.hpp
    python3 verification/mutate.py --quick         # random strategy, fewer iterations

Every mutated header is restored (try/finally, and on SIGINT/SIGTERM/SIGHUP). Standard library only.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HDR_DIR = os.path.join(ROOT, "primitives", "include", "gocxx", "detail")
BUILD = os.path.join(ROOT, "build", "mutate")
DRIVER = os.path.join(BUILD, "verification", "gocxx-verify")
BENIGN = os.path.join(ROOT, "verification", "mutate-benign.txt")
LOGDIR = os.path.join(BUILD, "mutants")

# header -> suite prefixes that exercise it
SUITES = {
    "parker.hpp": ["parker.", "chan."],
    "spin.hpp": ["spin_lock.", "waiter_queue.", "chan."],
    "waiter.hpp": ["waiter_queue.", "chan."],
    "buffered_ring.hpp": ["chan."],
    "locked_chan.hpp": ["chan."],
    "chan_impl.hpp": ["chan."],
}
FILES = list(SUITES)

ORDER_RE = re.compile(r"std::memory_order_(seq_cst|acq_rel|acquire|release|consume)\b")
LABEL_RE = re.compile(r"\b([A-Z][0-9]+(?:/[A-Z][0-9]+)*)\b")
CALL_RE = re.compile(r"(\.store\(|\.load\(|fence\(|\.exchange\(|\.compare_exchange_\w+\(|\.fetch_\w+\()")
ROW_RE = re.compile(r"^(\S+)\s+(random|bounded|exhaustive|pct)\s+(\d+)\s+([0-9.]+)s\s+(.*)$")
LAST_RE = re.compile(r"^(\d+) passed, (\d+) failed\s*$")


# --------------------------------------------------------------------------------------------------
# Scanning
# --------------------------------------------------------------------------------------------------
def split_code_comment(line, in_block):
    """Return (code, comment, in_block) for one line, dropping /* */ and // comments from code."""
    code, comment, i = [], [], 0
    while i < len(line):
        if in_block:
            j = line.find("*/", i)
            if j < 0:
                comment.append(line[i:])
                return "".join(code), "".join(comment), True
            comment.append(line[i:j])
            i, in_block = j + 2, False
            continue
        if line.startswith("//", i):
            comment.append(line[i + 2:])
            break
        if line.startswith("/*", i):
            in_block, i = True, i + 2
            continue
        if line[i] == '"':  # skip string literals (no orders live in them, but no false comments)
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            code.append(line[i:j + 1])
            i = j + 1
            continue
        code.append(line[i])
        i += 1
    return "".join(code), "".join(comment), in_block


def call_kind(lines, idx, code_upto):
    """The atomic call this order belongs to: 'store', 'load', 'fence' or 'rmw'.

    Looks at the code before the order on its line, then at earlier lines (a call may wrap)."""
    texts = [code_upto] + [lines[k] for k in range(idx - 1, max(-1, idx - 6), -1)]
    for t in texts:
        calls = CALL_RE.findall(t)
        if calls:
            c = calls[-1]
            if c == ".store(":
                return "store"
            if c == ".load(":
                return "load"
            if c == "fence(":
                return "fence"
            return "rmw"
    return "rmw"


def weaken(order, kind):
    if order == "seq_cst":
        return {"store": ["release"], "load": ["acquire"]}.get(kind, ["acq_rel"])
    if order == "acq_rel":
        return ["acquire", "release"]
    if order in ("acquire", "consume", "release"):
        return ["relaxed"]
    return []


def scan(files):
    """Sites: dicts with file, line (1-based), col (offset of the order in the line), order, kind, label."""
    sites = []
    for f in files:
        path = os.path.join(HDR_DIR, f)
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        in_block = False
        code_lines = []
        for n, raw in enumerate(lines):
            code, comment, in_block = split_code_comment(raw, in_block)
            code_lines.append(code)
            if not code.strip():
                continue  # comment-only lines, including the design block at the top
            for m in ORDER_RE.finditer(code):
                # `code` keeps the columns of `raw` up to the first comment, so m.start() is valid.
                kind = call_kind(code_lines, n, code[:m.start()])
                lm = LABEL_RE.search(comment)
                sites.append({"file": f, "line": n + 1, "col": m.start(), "order": m.group(1),
                              "kind": kind, "label": lm.group(1) if lm else "", "text": raw.strip()})
    # number the orders on one line (compare_exchange with two orders: each is its own site)
    for s in sites:
        same = [t for t in sites if t["file"] == s["file"] and t["line"] == s["line"]]
        s["arg"] = same.index(s) + 1 if len(same) > 1 else 0
    return sites


def mutants_of(sites):
    out = []
    for s in sites:
        for w in weaken(s["order"], s["kind"]):
            out.append(dict(s, mutant=w))
    return out


def site_name(m):
    return "%s:%d%s" % (m["file"], m["line"], ("#%d" % m["arg"]) if m["arg"] else "")


# --------------------------------------------------------------------------------------------------
# Mutating, with guaranteed restore
# --------------------------------------------------------------------------------------------------
ORIGINALS = {}  # path -> original bytes


def restore_all():
    for path, data in list(ORIGINALS.items()):
        with open(path, "rb") as fh:
            cur = fh.read()
        if cur != data:
            with open(path, "wb") as fh:
                fh.write(data)
        del ORIGINALS[path]


def apply_mutant(m):
    path = os.path.join(HDR_DIR, m["file"])
    with open(path, "rb") as fh:
        data = fh.read()
    ORIGINALS.setdefault(path, data)
    lines = data.decode("utf-8").split("\n")
    line = lines[m["line"] - 1]
    old = "std::memory_order_" + m["order"]
    assert line[m["col"]:m["col"] + len(old)] == old, "site moved: %s" % site_name(m)
    lines[m["line"] - 1] = line[:m["col"]] + "std::memory_order_" + m["mutant"] + line[m["col"] + len(old):]
    with open(path, "wb") as fh:
        fh.write("\n".join(lines).encode("utf-8"))


def _on_signal(signum, _frame):
    restore_all()
    raise KeyboardInterrupt("signal %d" % signum)


# --------------------------------------------------------------------------------------------------
# Building and running
# --------------------------------------------------------------------------------------------------
def configure():
    if os.path.exists(os.path.join(BUILD, "build.ninja")):
        return
    subprocess.run(["cmake", "-S", ROOT, "-B", BUILD, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                    "-DGOCXX_BUILD_TESTS=OFF", "-DGOCXX_BUILD_BENCH=OFF", "-DGOCXX_BUILD_EXAMPLES=OFF"],
                   check=True, stdout=subprocess.DEVNULL)


def build(log):
    r = subprocess.run(["cmake", "--build", BUILD, "--target", "gocxx-verify"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if log:
        with open(log, "w") as fh:
            fh.write(r.stdout)
    return r.returncode == 0, r.stdout


def run_driver(prefixes, extra, timeout, early_stop, log):
    """Run gocxx-verify. Returns (status, failing_tests, seconds, rows).

    status: 'killed', 'survived', 'timeout' or 'error'. rows: [(test, strategy, seconds, verdict)]."""
    cmd = [DRIVER] + prefixes + extra
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                         start_new_session=True)
    failing, rows, last, lines, timed_out, stopped = [], [], None, [], False, False
    deadline = t0 + timeout
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            if not sel.select(timeout=min(left, 5.0)):
                continue
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            r = ROW_RE.match(line.rstrip("\n"))
            if r:
                rows.append((r.group(1), r.group(2), float(r.group(4)), r.group(5)))
                if r.group(5).startswith("FAIL"):
                    failing.append("%s[%s]" % (r.group(1), r.group(2)))
                    if early_stop:
                        stopped = True
                        break
            lm = LAST_RE.match(line)
            if lm:
                last = (int(lm.group(1)), int(lm.group(2)))
    finally:
        sel.close()
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # our own child's process group only
            except ProcessLookupError:
                pass
        p.wait()
        p.stdout.close()
    secs = time.monotonic() - t0
    if log:
        with open(log, "w") as fh:
            fh.write("$ %s\n" % " ".join(cmd))
            fh.writelines(lines)
            if stopped:
                fh.write("[mutate.py: stopped at the first FAIL row]\n")
            if timed_out:
                fh.write("[mutate.py: timeout after %.0fs]\n" % secs)
    if failing or (last and last[1] > 0):
        return "killed", failing or ["(see log)"], secs, rows
    if timed_out:
        return "timeout", [], secs, rows
    if last is None:
        return "error", [], secs, rows  # crashed without a summary line
    return "survived", [], secs, rows


def fingerprint(skip):
    """Hash of everything the driver is built from except the headers we mutate. Other work on
    the tree (an edited engine) between the baseline and a mutant would make results meaningless."""
    import hashlib
    h = hashlib.sha256()
    for top in ("CMakeLists.txt", "primitives", "verification"):
        base = os.path.join(ROOT, top)
        paths = [base] if os.path.isfile(base) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(base) for f in fs
            if f.endswith((".hpp", ".cpp", ".h", ".txt")) and not f.startswith("mutate"))
        for path in paths:
            if os.path.abspath(path) in skip:
                continue
            h.update(path.encode())
            with open(path, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def load_benign():
    allowed = {}
    if not os.path.exists(BENIGN):
        return allowed
    with open(BENIGN, encoding="utf-8") as fh:
        for raw in fh:
            raw = raw.strip()
            if not raw or raw.startswith("#"):
                continue
            key, _, reason = raw.partition(": ")
            allowed[key.strip()] = reason.strip()
    return allowed


def benign_key(m):
    return "%s:%d:%s->%s" % (m["file"], m["line"], m["order"], m["mutant"])


# --------------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", nargs="+", choices=FILES, default=FILES, help="headers to mutate")
    ap.add_argument("--list", action="store_true", help="only list sites and mutants")
    ap.add_argument("--jobs", type=int, default=1, help="only 1 is supported (headers are mutated in place)")
    ap.add_argument("--quick", action="store_true",
                    help="run the driver with --strategy random --iterations N (see --quick-iterations)")
    ap.add_argument("--quick-iterations", type=int, default=3000)
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="per-mutant timeout in seconds; raised to 2x the baseline time of the "
                         "mutant's suites + 60 s when that is longer")
    ap.add_argument("--full-runs", action="store_true",
                    help="run every suite to its end even after a FAIL row (default: stop at the first "
                         "FAIL row, which already decides 'killed')")
    ap.add_argument("--markdown", action="store_true", help="print the result table as Markdown")
    args = ap.parse_args()
    if args.jobs != 1:
        ap.error("--jobs: only 1 is supported (mutants are applied to the shared source tree)")

    sites = scan(args.files)
    muts = mutants_of(sites)
    print("%d mutation sites, %d mutants" % (len(sites), len(muts)))
    for s in sites:
        print("  %-24s %-6s %-8s %-6s -> %s" % (site_name(s), s["label"] or "-", s["order"], s["kind"],
                                              ", ".join(weaken(s["order"], s["kind"]))))
    if args.list:
        return 0

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    os.makedirs(BUILD, exist_ok=True)
    extra = ["--strategy", "random", "--iterations", str(args.quick_iterations)] if args.quick else []
    results = []
    t_start = time.monotonic()
    try:
        configure()
        os.makedirs(LOGDIR, exist_ok=True)
        skip = {os.path.join(HDR_DIR, f) for f in FILES}
        fp = fingerprint(skip)  # taken before the baseline build
        # Baseline: the unmutated headers must pass every suite we are going to use.
        ok, out = build(os.path.join(LOGDIR, "baseline-build.log"))
        if not ok:
            print(out[-3000:])
            print("baseline does not build; aborting")
            return 2
        prefixes = sorted({p for f in args.files for p in SUITES[f]})
        print("baseline: gocxx-verify %s %s" % (" ".join(prefixes), " ".join(extra)), flush=True)
        status, failing, secs, rows = run_driver(prefixes, extra, 4 * 3600, False,
                                                 os.path.join(LOGDIR, "baseline.log"))
        if status != "survived":
            print("baseline %s (%s); aborting. Log: %s" % (status, ", ".join(failing),
                                                          os.path.join(LOGDIR, "baseline.log")))
            return 2
        print("baseline passed in %.0fs" % secs, flush=True)
        group_secs = {}
        for f in args.files:
            group_secs[f] = sum(r[2] for r in rows if any(r[0].startswith(p) for p in SUITES[f]))

        for i, m in enumerate(muts, 1):
            name = "%02d-%s-%d-%s-%s" % (i, m["file"].replace(".hpp", ""), m["line"], m["order"], m["mutant"])
            desc = "%s %s -> %s" % (site_name(m), m["order"], m["mutant"])
            if fingerprint(skip) != fp:
                print("the checker/primitive sources changed since the baseline (other work on the "
                      "tree?): stopping, later results would not be comparable. Rerun when it is quiet.")
                break
            print("[%d/%d] %s ..." % (i, len(muts), desc), end=" ", flush=True)
            try:
                apply_mutant(m)
                ok, _ = build(os.path.join(LOGDIR, name + ".build.log"))
                if not ok:
                    res = dict(m, result="invalid", by=[], secs=0.0)
                else:
                    tmo = max(args.timeout, 2 * group_secs[m["file"]] + 60)
                    status, failing, secs, _ = run_driver(SUITES[m["file"]], extra, tmo,
                                                          not args.full_runs, os.path.join(LOGDIR, name + ".log"))
                    res = dict(m, result=status, by=failing, secs=secs)
            finally:
                restore_all()
            print("%s %s (%.0fs)" % (res["result"].upper(), " ".join(res["by"][:1]), res["secs"]), flush=True)
            results.append(res)
    finally:
        restore_all()
        # leave build/mutate matching the unmutated sources
        try:
            build(None)
        except Exception:  # noqa: BLE001 - best effort, the headers are already restored
            pass

    allowed = load_benign()
    killed = sum(r["result"] == "killed" for r in results)
    survived = [r for r in results if r["result"] == "survived"]
    benign = [r for r in survived if benign_key(r) in allowed]
    unexplained = [r for r in survived if benign_key(r) not in allowed]

    def row(r):
        if r["result"] == "killed":
            what = "KILLED by " + r["by"][0]
        elif r["result"] == "survived":
            what = "SURVIVED (allow-listed benign)" if r in benign else "SURVIVED"
        else:
            what = r["result"]
        return [site_name(r), r["label"] or "-", "%s -> %s" % (r["order"], r["mutant"]), what]

    table = [row(r) for r in results]
    print()
    if args.markdown:
        print("| site | label | mutation | result |")
        print("|---|---|---|---|")
        for t in table:
            print("| `%s` | %s | `%s` | %s |" % tuple(t))
    else:
        w = [max(len(t[k]) for t in table + [["site", "label", "mutation", "result"]]) for k in range(4)]
        fmt = "  ".join("%%-%ds" % x for x in w)
        print(fmt % ("site", "label", "mutation", "result"))
        for t in table:
            print(fmt % tuple(t))
    print()
    denom = killed + len(survived)
    score = 100.0 * killed / denom if denom else 100.0
    print("mutation score: %d / %d killed = %.1f%%  (invalid: %d, timeout: %d, error: %d)" % (
        killed, denom, score, sum(r["result"] == "invalid" for r in results),
        sum(r["result"] == "timeout" for r in results), sum(r["result"] == "error" for r in results)))
    if benign:
        print("allow-listed survivors (%s):" % os.path.relpath(BENIGN, ROOT))
        for r in benign:
            print("  %s: %s" % (benign_key(r), allowed[benign_key(r)]))
    if unexplained:
        print("UNEXPLAINED survivors (fix the suites, or justify in %s):" % os.path.relpath(BENIGN, ROOT))
        for r in unexplained:
            print("  " + benign_key(r))
    print("total time %.0fs; logs in %s" % (time.monotonic() - t_start, os.path.relpath(LOGDIR, ROOT)))
    return 1 if unexplained or any(r["result"] in ("timeout", "error") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
