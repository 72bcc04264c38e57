#!/usr/bin/env python3
"""Import benchmark: `qalam import text` on a generated archive of saved article pages.

Generates N article text files shaped like the seed page (../shared/fixtures/seeds/000_*.txt):
headline, date line with a Kazakh (or, for every fifth file, Russian) month name, view count,
share label, repeated headline, PHOTO badge, photo credit, dateline, 3-8 paragraphs, one or two
UUID.JPEG lines, a "we wrote earlier" sentence and the other-outlets block. Words come from the
seed's own text when it is there (read at run time, never copied into the repository), otherwise
from a short built-in list; dates, views, names and paragraph lengths vary deterministically.
The files go to ../bench-data (not the repository).

Each round imports all of them into a fresh copy of a small site in a fresh process, through the
CLI (`qalam import text DIR --site SITE --old-url-base URL --quiet`): parse, write 10 000 page
folders atomically, record 10 000 redirects in config/site.yaml. Then the same import again
(everything is skipped as already imported). Reports articles per second, median (min-max), and
writes a section into docs/benchmarks.md.

Usage: benchmarks/bench_import.py [--n 10000] [--rounds 3] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", REPO.parent / "bench-data"))
SEED = SHARED / "fixtures" / "seeds" / "000_30c37c12a048fd7f.txt"

KK_MONTHS = ["Қаңтар", "Ақпан", "Наурыз", "Сәуір", "Мамыр", "Маусым", "Шілде", "Тамыз", "Қыркүйек", "Қазан",
             "Қараша", "Желтоқсан"]
RU_MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря"]
KK_FALLBACK = ("бүгін елордада өңірлерде дәрігерлер министрлігі жұмыс тәжірибе мамандар кездесу барысында "
               "жоспарлап отыр қала облыс аудан тұрғындар жаңа жоба бағдарлама мектеп аурухана жыл бойы "
               "маңызды мәселе шешім қабылдады көмек сапар әріптестер байланыс тәсілдері").split()
RU_WORDS = ("сегодня в столице врачи министерство работа опыт специалисты встреча в ходе планируют город область "
            "район жители новый проект программа школа больница в течение года важный вопрос решение принято "
            "помощь визит коллеги связь методы и на по для").split()
CITIES = ["Нұр-Сұлтан", "Алматы", "Шымкент", "Ақтөбе", "Қарағанды", "Павлодар"]
RU_CITIES = ["Нур-Султан", "Алматы", "Шымкент", "Актобе", "Караганда", "Павлодар"]
NAMES = ["Бауыржан ЖУАСБАЕВ", "Айгүл СЕЙІТОВА", "Ержан НҰРЛАНОВ", "Дана ӘБІЛОВА", "Иван ПЕТРОВ"]


def vocabulary() -> list[str]:
    if SEED.is_file():
        words = re.findall(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі-]{3,}", SEED.read_text(encoding="utf-8"))
        words = [w.lower() for w in words if not w.isupper()]
        if len(set(words)) > 50:
            return sorted(set(words))
    return KK_FALLBACK


def sentence(rng: random.Random, words: list[str], n: int) -> str:
    ws = [rng.choice(words) for _ in range(n)]
    return ws[0].capitalize() + " " + " ".join(ws[1:]) + "."


def article(i: int, rng: random.Random, kk_words: list[str]) -> str:
    russian = i % 5 == 4
    words = RU_WORDS if russian else kk_words
    title = sentence(rng, words, rng.randint(5, 9)).rstrip(".") + f" {i}"
    year, month, day = rng.randint(2012, 2023), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    if russian:
        date = f"{day} {RU_MONTHS[month - 1]} {year} г., {hh:02d}:{mm:02d}"
        share, other, credit = "Поделиться:", "Другие новости", "Фото"
        dateline = f"{rng.choice(RU_CITIES)}, корреспондент BAQ.KZ."
        earlier = f"Ранее мы писали, что {sentence(rng, words, 6).lower()}"
    else:
        date = f"{day} {KK_MONTHS[month - 1]} {year}, {hh:02d}:{mm:02d}"
        share, other, credit = "Бөлісу:", "Өзгелердің жаңалығы", "Фото"
        dateline = f"{rng.choice(CITIES)}, BAQ.KZ тілшісі."
        earlier = f"Айта кетейік, бұған дейін {' '.join(rng.choice(words) for _ in range(5))} туралы жазған болатынбыз."
    paragraphs = [" ".join(sentence(rng, words, rng.randint(6, 16)) for _ in range(rng.randint(1, 5)))
                  for _ in range(rng.randint(3, 8))]
    paragraphs[0] = f"{dateline} {paragraphs[0]}"
    for _ in range(rng.randint(1, 2)):
        paragraphs.insert(rng.randint(1, len(paragraphs)), str(uuid.UUID(int=rng.getrandbits(128))).upper() + ".JPEG")
    lines = [title, "", date, str(rng.randint(10, 50000)), share, title, "PHOTO", f"{credit}: {rng.choice(NAMES)}", ""]
    lines += [p + "\n" for p in paragraphs] + [earlier, other]
    lines += [sentence(rng, words, 7) for _ in range(3)]
    return "\n".join(lines) + "\n"


def generate(n: int) -> Path:
    out = BENCH_DATA / f"import-text-{n}"
    stamp = out / ".complete"
    if stamp.is_file():
        return out
    shutil.rmtree(out, ignore_errors=True)
    rng = random.Random(20200706)
    words = vocabulary()
    for i in range(n):
        folder = out / f"{i // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:05d}.txt").write_text(article(i, rng, words), encoding="utf-8")
    stamp.write_text("ok\n")
    return out


SITE = {
    "config/system.yaml": "timezone: Asia/Almaty\nlanguages:\n  supported: [kk, ru]\n  default_lang: kk\n",
    "config/site.yaml": "title: Bench\n# redirects of the old site\nredirects:\n  /old-news: /news\n",
    "pages/01.news/blog.md": "---\ntitle: Жаңалықтар\ncontent:\n  items: '@self.children'\n  limit: 20\n---\n",
}


def fresh_site(root: Path) -> Path:
    for rel, text in SITE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def run_cli(corpus: Path, site: Path) -> tuple[float, str]:
    cmd = [str(Path(sys.executable).parent / "qalam"), "import", "text", str(corpus), "--site", str(site),
           "--old-url-base", "https://old.example.kz/kk/news", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"import failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    corpus = generate(args.n)
    gen_time = time.perf_counter() - t0
    size_mb = sum(p.stat().st_size for p in corpus.rglob("*.txt")) / 1e6
    first, again, summaries = [], [], []
    for r in range(args.rounds):
        work = Path(tempfile.mkdtemp(prefix="qalam-bench-import-"))
        try:
            site = fresh_site(work / "user")
            t, summary = run_cli(corpus, site)
            first.append(t)
            summaries.append(summary)
            pages = sum(1 for _ in (site / "pages" / "01.news").glob("*/item.*.md"))
            assert pages == args.n, (pages, summary)
            t2, summary2 = run_cli(corpus, site)
            again.append(t2)
            assert f"skipped {args.n}" in summary2, summary2
            print(f"round {r + 1}: import {t:.1f} s ({args.n / t:.0f}/s), again {t2:.1f} s — {summary}",
                  file=sys.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def rate(times):
        rates = [args.n / t for t in times]
        return f"{statistics.median(rates):.0f} ({min(rates):.0f}–{max(rates):.0f})"

    def secs(times):
        return f"{statistics.median(times):.1f} s ({min(times):.1f}–{max(times):.1f})"

    table = "\n".join([
        f"Input: {args.n} generated saved-page text files ({size_mb:.1f} MB; 80 % Kazakh, 20 % Russian; shaped like the "
        f"seed page, with furniture, images and a dateline; generated into ../bench-data"
        f"{f' in {gen_time:.1f} s' if gen_time > 0.5 else ', once'}). "
        f"{args.rounds} rounds, each into a fresh site, through the CLI in a fresh process. "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores.",
        "",
        "| what | articles per second | time for all |",
        "|---|---|---|",
        f"| import: parse, write {args.n} page folders atomically, add {args.n} redirects to config/site.yaml "
        f"| {rate(first)} | {secs(first)} |",
        f"| the same import again: everything skipped as already imported | {rate(again)} | {secs(again)} |",
        "",
        f"Last report line: `{summaries[-1]}`",
        "",
        "Command: `.venv/bin/python benchmarks/bench_import.py --n "
        f"{args.n} --rounds {args.rounds}`",
    ])
    print(table)
    if not args.no_write:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_index import write_section

        write_section(REPO / "docs" / "benchmarks.md", "import", table)


if __name__ == "__main__":
    main()
