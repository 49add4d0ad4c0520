#!/usr/bin/env python3
"""Descriptions of terms from a glossary written by others, scored by gloss's top hit.

Kubernetes glossary (../shared/corpora/k8s-glossary): each entry's front matter has a
`short_description` that describes the term without (usually) naming it; the query is that
sentence, the expected answer the entry's `title`. Rows whose description contains the
title itself are reported apart (they are lookups, not descriptions).

usage: scripts/describe-bench.py [path/to/gloss ...]   (default target/release/gloss)
"""
import glob, json, os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "..", "shared", "corpora", "k8s-glossary")


def rows():
    out = []
    for name in sorted(os.listdir(CORPUS)):
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(CORPUS, name), encoding="utf-8").read()
        fm = text.split("---")[1] if text.startswith("---") else ""
        title = re.search(r"^title:\s*(.+)$", fm, re.M)
        desc = re.search(r"^short_description:\s*>?\s*\n((?:[ \t]+.+\n?)+)", fm, re.M)
        if not title or not desc:
            continue
        d = " ".join(desc.group(1).split())
        out.append((title.group(1).strip().strip('"'), d))
    return out


def run(binary, rows):
    idx = tempfile.mkdtemp()
    subprocess.run([binary, "--content", CORPUS, "--index", idx, "index"],
                   capture_output=True, check=True)
    right = named = right_named = 0
    misses = []
    for title, desc in rows:
        p = subprocess.run([binary, "--content", CORPUS, "--index", idx, "define", desc,
                            "--format", "json"], capture_output=True, text=True)
        try:
            hits = json.loads(p.stdout)["hits"] if p.stdout.strip() else []
        except json.JSONDecodeError:
            hits = []
        top = hits[0]["term"] if hits else None
        # `cgroup (control group)` is indexed as term `cgroup` with alias `control group`.
        names = {title.lower(), re.sub(r"\s*\(.*\)$", "", title).lower()}
        got = {top.lower()} | {a.lower() for a in hits[0]["aliases"]} if hits else set()
        ok = bool(names & got)
        if title.lower() in desc.lower():
            named += 1
            right_named += ok
        else:
            right += ok
            if not ok:
                misses.append((desc, title, top))
    n = len(rows) - named
    print(f"{binary}: descriptions {right}/{n} ({100*right/max(n,1):.0f}%) right first; "
          f"descriptions naming the term {right_named}/{named}")
    return misses


if __name__ == "__main__":
    built = glob.glob(os.path.join(ROOT, "target/*/release/gloss")) + [os.path.join(ROOT, "target/release/gloss")]
    bins = sys.argv[1:] or [max((b for b in built if os.path.exists(b)), key=os.path.getmtime, default=built[-1])]
    r = rows()
    for b in bins:
        misses = run(b, r)
    if os.environ.get("MISSES"):
        for d, t, top in misses:
            print(f"  {d!r}: expected {t!r}, got {top!r}")
