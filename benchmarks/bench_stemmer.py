#!/usr/bin/env python3
"""Kazakh stemmer benchmark on UD Kazakh-KTB word forms with gold lemmas.

Data: ../shared/data/ud-kazakh-ktb/kk-lemmas-dev.conllu (UD_Kazakh-KTB, CC BY-SA 4.0), read only,
never copied into the repository.

What is measured: the distinct word forms of the file (punctuation, numbers and forms with anything but
letters skipped; forms and lemmas folded with qalam.lang.fold_case; a form seen with several lemmas
takes its most frequent one). Over all pairs of distinct forms, "same stem" is compared with "same
lemma": precision = pairs with the same stem that have the same lemma / pairs with the same stem,
recall = pairs with the same lemma that get the same stem / pairs with the same lemma; pairs are
counted per group (n choose 2), not by looping over pairs. Two baselines run in the same process: no
stemming (every form its own stem) and cutting forms to their first five letters. Speed: the stemmer
without its cache, and the whole analyze() pipeline over the treebank's sentences, µs per word.

Writes a table between markers in docs/benchmarks.md (section "Kazakh stemmer").

Usage: .venv/bin/python benchmarks/bench_stemmer.py [--data FILE] [--rounds 5] [--no-write] [--errors N]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "ud-kazakh-ktb" / "kk-lemmas-dev.conllu"
sys.path.insert(0, str(REPO / "src"))

from qalam.lang import analyze, fold_case  # noqa: E402
from qalam.lang.stem_kk import stem_kazakh  # noqa: E402

SKIP_UPOS = {"PUNCT", "NUM", "SYM"}


def read_conllu(path: Path) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """-> (form -> gold lemma, lemma -> most frequent UPOS, sentence texts)."""
    lemmas: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    upos: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    texts: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("# text = "):
                texts.append(line[len("# text = "):].rstrip("\n"))
                continue
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 4 or not cols[0].isdigit():  # multi-word token ranges, empty nodes
                continue
            form, lemma, pos = cols[1], cols[2], cols[3]
            if pos in SKIP_UPOS or not form.isalpha():
                continue
            form, lemma = fold_case(form, "kk"), fold_case(lemma, "kk")
            lemmas[form][lemma] += 1
            upos[lemma][pos] += 1
    gold = {form: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for form, c in lemmas.items()}
    return gold, {lemma: c.most_common(1)[0][0] for lemma, c in upos.items()}, texts


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def score(gold: dict[str, str], stems: dict[str, str]) -> dict[str, float]:
    by_stem = collections.Counter(stems.values())
    by_lemma = collections.Counter(gold.values())
    by_both = collections.Counter((stems[f], gold[f]) for f in gold)
    tp = sum(pairs(n) for n in by_both.values())
    predicted = sum(pairs(n) for n in by_stem.values())
    actual = sum(pairs(n) for n in by_lemma.values())
    p = tp / predicted if predicted else float("nan")
    r = tp / actual if actual else float("nan")
    f1 = 2 * p * r / (p + r) if predicted and tp else 0.0
    return {"P": p, "R": r, "F1": f1, "tp": tp, "pred": predicted, "gold": actual, "groups": len(by_stem)}


def errors(gold: dict[str, str], stems: dict[str, str], upos: dict[str, str]) -> tuple[collections.Counter, ...]:
    """Missed pairs by the lemma's part of speech; wrongly merged pairs by the parts of speech merged."""
    missed: collections.Counter = collections.Counter()
    by_lemma: dict[str, list[str]] = collections.defaultdict(list)
    for f, lem in gold.items():
        by_lemma[lem].append(f)
    for lem, forms in by_lemma.items():
        total = pairs(len(forms))
        same = sum(pairs(n) for n in collections.Counter(stems[f] for f in forms).values())
        missed[upos.get(lem, "X")] += total - same
    merged: collections.Counter = collections.Counter()
    by_stem: dict[str, list[str]] = collections.defaultdict(list)
    for f, st in stems.items():
        by_stem[st].append(f)
    for forms in by_stem.values():
        lem_counts = collections.Counter(gold[f] for f in forms)
        for a in lem_counts:
            for b in lem_counts:
                if a < b:
                    key = "/".join(sorted((upos.get(a, "X"), upos.get(b, "X"))))
                    merged[key] += lem_counts[a] * lem_counts[b]
    return missed, merged


def time_per_word(fn: Callable[[str], object], words: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for w in words:
            fn(w)
        out.append((time.perf_counter() - t0) / len(words) * 1e6)
    return out


def time_analyze(texts: list[str], rounds: int) -> tuple[list[float], list[float], int]:
    n_words = sum(len(analyze(t, "kk")) for t in texts)
    cold, warm = [], []
    for _ in range(rounds):
        sys.modules["qalam.lang.analyze"].clear_caches()
        t0 = time.perf_counter()
        for t in texts:
            analyze(t, "kk")
        cold.append((time.perf_counter() - t0) / n_words * 1e6)
        t0 = time.perf_counter()
        for t in texts:
            analyze(t, "kk")
        warm.append((time.perf_counter() - t0) / n_words * 1e6)
    return cold, warm, n_words


def pct(part: int, whole: int) -> int:
    return part * 100 // max(whole, 1)


def fmt(x: float) -> str:
    return "—" if x != x else f"{x:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--errors", type=int, default=0, help="print N error categories (no words)")
    args = ap.parse_args()

    gold, upos, texts = read_conllu(args.data)
    forms = sorted(gold)
    systems = {
        "Qalam stemmer (`qalam.lang.stem`)": {f: stem_kazakh(f) for f in forms},
        "no stemming (each form its own stem)": {f: f for f in forms},
        "first 5 letters": {f: f[:5] for f in forms},
    }
    results = {name: score(gold, stems) for name, stems in systems.items()}
    ours = results["Qalam stemmer (`qalam.lang.stem`)"]
    missed, merged = errors(gold, systems["Qalam stemmer (`qalam.lang.stem`)"], upos)
    n_missed = ours["gold"] - ours["tp"]
    n_merged = ours["pred"] - ours["tp"]
    if args.errors:
        print("missed pairs by lemma UPOS:", missed.most_common(args.errors), file=sys.stderr)
        print("wrong merges by UPOS pair:", merged.most_common(args.errors), file=sys.stderr)

    speed = time_per_word(stem_kazakh, forms, args.rounds)
    cold, warm, n_words = time_analyze(texts, args.rounds)

    rows = [
        f"Data: `{args.data.name}` — {len(forms)} distinct word forms of {len(set(gold.values()))} lemmas "
        f"(UD_Kazakh-KTB, CC BY-SA 4.0; see `../shared/data/ud-kazakh-ktb/README.md`), "
        f"{ours['gold']} pairs of forms that share a lemma. Punctuation, numbers, symbols and forms with anything "
        "but letters are skipped; forms and lemmas are folded; a form seen with several lemmas counts with its "
        "most frequent one. Precision is undefined (—) when no two forms share a stem. "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.rounds} rounds (min–max).",
        "",
        "| stemmer | precision | recall | F1 | stems |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        rows.append(f"| {name} | {fmt(r['P'])} | {fmt(r['R'])} | {fmt(r['F1'])} | {r['groups']} |")
    top_missed = missed.most_common(1)[0]
    top_merged = merged.most_common(1)[0] if merged else ("—", 0)
    rows += [
        "",
        "| speed | µs per word |",
        "|---|---|",
        f"| Kazakh stemmer, no cache ({len(forms)} distinct forms) | {statistics.median(speed):.1f} "
        f"({min(speed):.1f}–{max(speed):.1f}) |",
        f"| `analyze(text, 'kk')`, empty caches ({n_words} words of {len(texts)} sentences) | "
        f"{statistics.median(cold):.1f} ({min(cold):.1f}–{max(cold):.1f}) |",
        f"| `analyze(text, 'kk')`, warm caches | {statistics.median(warm):.1f} ({min(warm):.1f}–{max(warm):.1f}) |",
        "",
        f"Errors: of the {n_missed} same-lemma pairs the stemmer misses, {pct(top_missed[1], n_missed)} % "
        f"are {top_missed[0]} forms; of the {n_merged} pairs it wrongly merges, {pct(top_merged[1], n_merged)} % "
        f"join {top_merged[0]} lemmas. " + MOST_WRONG,
        "",
        "Command: `.venv/bin/python benchmarks/bench_stemmer.py`",
    ]
    table = "\n".join(rows)
    print(table)
    if not args.no_write:
        write_section(REPO / "docs" / "benchmarks.md", "stemmer", table, HEADING)


MOST_WRONG = (
    "What it gets wrong most is verbs: the treebank's lemma is the bare root, while the stemmer leaves the "
    "voice suffixes -л/-н/-с, the converb -п after a vowel and -а/-е/-й on the stem (nouns such as кітап and "
    "қала end the same way), and it reads the past of a verb in -а/-е as a present (сұрады → сұр, not сұра)."
)

HEADING = """## Kazakh stemmer

How well `qalam.lang.stem(word, "kk")` groups the forms of one word, measured against the gold lemmas of
the Universal Dependencies Kazakh treebank, with two baselines in the same run. The section is written
by `benchmarks/bench_stemmer.py`."""


def write_section(path: Path, name: str, body: str, heading: str) -> None:
    """Replace the text between the section's markers (as benchmarks/bench_index.py does);
    a missing section is appended under ``heading``.  Read, modify and write at once at the end,
    because other scripts write other sections of the same file."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + heading + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
