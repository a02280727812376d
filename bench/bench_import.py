"""Bulk entity import speed on SQLite and PostgreSQL, against a plain INSERT baseline.

    python -m bench.bench_import --rows 1000000 [--backend sqlite|postgresql|both]
                                 [--batch-size N] [--chunk-size N]

Generates two CSV files of N valid entities in a temporary directory (B = A with every
address changed), then per backend, each on a fresh migrated database:
  baseline   plain executemany INSERT of file A, no validation, no upsert (same chunking)
  insert     import_entities(A) into an empty table
  unchanged  import_entities(A) again: idempotent, nothing rewritten
  update     import_entities(B): every row updated
Files hold distinct USCCs (duplicates are dropped while generating).
The default is one batch for the whole file (the importer's default semantics).
Peak RSS is printed to show the import streams rather than holding rows.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session

import codeid.models  # noqa: F401  (registers every table)
from bench.throwaway import throwaway_database
from codeid.db import make_engine
from codeid.entities.data import ENTITY_FIELDS
from codeid.entities.importer import CHUNK_SIZE, import_entities
from codeid.entities.models import Entity
from codeid.entities.readers import read_entity_rows
from codeid.migrate import upgrade
from codeid.uscc import random_uscc

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEADER = list(ENTITY_FIELDS)
# fmt: off
# division -> (city, district); a spread of real GB/T 2260 codes.
DIVISIONS = {
    "440103": ("广州市", "荔湾区"), "440104": ("广州市", "越秀区"), "440106": ("广州市", "天河区"),
    "440111": ("广州市", "白云区"), "440113": ("广州市", "番禺区"), "440303": ("深圳市", "罗湖区"),
    "440305": ("深圳市", "南山区"), "440306": ("深圳市", "宝安区"), "440604": ("佛山市", "禅城区"),
    "440606": ("佛山市", "顺德区"), "110105": ("北京市", "朝阳区"), "110108": ("北京市", "海淀区"),
    "310104": ("上海市", "徐汇区"), "310115": ("上海市", "浦东新区"),
    "330106": ("杭州市", "西湖区"), "320505": ("苏州市", "虎丘区"), "510107": ("成都市", "武侯区"),
    "420106": ("武汉市", "武昌区"), "430104": ("长沙市", "岳麓区"), "350203": ("厦门市", "思明区"),
}
TRADES = ["宏达", "信诚", "华盛", "恒泰", "瑞丰", "嘉禾", "德润", "金鹏", "东升", "鑫源",
          "永昌", "万隆", "兴业", "博远", "智联", "粤海"]
INDUSTRIES = ["科技", "贸易", "餐饮管理", "建筑工程", "物流", "医药", "电子", "文化传媒",
              "环保", "教育咨询"]
SHOPS = ["粮油店", "便利店", "烟酒商行", "五金店", "理发店", "小吃店", "水果店", "服装店"]
CROPS = ["蔬菜", "水果", "茶叶", "花卉", "水产", "生猪"]
SURNAMES = "陈李黄张梁林刘吴罗何郑谢王杨赵周"
GIVEN = ["志明", "丽华", "建国", "伟强", "嘉欣", "俊杰", "美玲", "国华", "晓东", "慧敏",
         "文杰", "海燕"]
ROADS = ["天河路", "中山大道", "人民路", "解放路", "建设路", "新华路", "长江路", "科技园路"]
# fmt: on
# entity_type -> (USCC category, weight)
TYPES = {
    "company": ("1", 55),
    "branch": ("1", 10),
    "sole_trader": ("2", 25),
    "partnership": ("1", 5),
    "cooperative": ("3", 5),
}


def fake_row(rng: random.Random) -> list[str]:
    division = rng.choice(list(DIVISIONS))
    city, district = DIVISIONS[division]
    kind = rng.choices(list(TYPES), weights=[w for _, w in TYPES.values()])[0]
    trade, industry = rng.choice(TRADES), rng.choice(INDUSTRIES)
    person = rng.choice(SURNAMES) + rng.choice(GIVEN)
    name = {
        "company": f"{city[:-1]}{trade}{industry}有限公司",
        "branch": f"{city[:-1]}{trade}{industry}有限公司{district}分公司",
        "sole_trader": f"{district}{person[0]}记{rng.choice(SHOPS)}",
        "partnership": f"{city[:-1]}{trade}{industry}合伙企业（有限合伙）",
        "cooperative": f"{district}{trade}{rng.choice(CROPS)}专业合作社",
    }[kind]
    established = date.fromordinal(
        rng.randint(date(1990, 1, 1).toordinal(), date(2025, 12, 31).toordinal())
    )
    return [
        random_uscc(rng, category=TYPES[kind][0], division=division),
        name,
        kind,
        person,
        f"{city}{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
        f"{city}{district}市场监督管理局",
        established.isoformat(),
    ]


def generate(folder: Path, rows: int, seed: int) -> tuple[Path, Path]:
    """File A and file B (same entities, every address changed), written as streamed.

    USCCs are distinct (random codes collide a few times per million), so the plain INSERT
    baseline can load the same file. Run in a child process: the ``seen`` set must not
    count in the importer's peak RSS.
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    a_path, b_path = folder / "entities_a.csv", folder / "entities_b.csv"
    with (
        a_path.open("w", encoding="utf-8", newline="") as a_file,
        b_path.open("w", encoding="utf-8", newline="") as b_file,
    ):
        a_writer, b_writer = csv.writer(a_file), csv.writer(b_file)
        a_writer.writerow(HEADER)
        b_writer.writerow(HEADER)
        while len(seen) < rows:
            row = fake_row(rng)
            if row[0] in seen:
                continue
            seen.add(row[0])
            a_writer.writerow(row)
            row[4] += "（迁址）"
            b_writer.writerow(row)
    return a_path, b_path


@contextmanager
def fresh_database(backend: str, folder: Path, server: str) -> Iterator[Engine]:
    """An empty database migrated to head; PostgreSQL ones are dropped afterwards."""
    name = f"codeid_bench_{secrets.token_hex(4)}"
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / (name + '.db')}")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
        return
    with throwaway_database(server, prefix="codeid_bench") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def baseline(engine: Engine, path: Path, chunk_size: int) -> float:
    """Read the CSV and executemany plain INSERTs: no validation, no lookups, no upsert."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as stream, engine.begin() as conn:
        reader = csv.DictReader(stream)
        statement = insert(Entity.metadata.tables["entity"])
        while chunk := list(islice(reader, chunk_size)):
            params: list[dict[str, Any]] = []
            for row in chunk:
                established = row["date_established"]
                params.append(
                    {
                        **row,
                        "date_established": date.fromisoformat(established)
                        if established
                        else None,
                        "status": "active",
                        "check_override": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(statement, params)
    return time.perf_counter() - started


def timed_import(
    engine: Engine, path: Path, *, label: str, batch_size: int | None, chunk_size: int
) -> tuple[float, Any]:
    def progress(done: int) -> None:
        if done % 100_000 < chunk_size:
            print(f"    {label}: {done:,} rows", file=sys.stderr, flush=True)

    started = time.perf_counter()
    with Session(engine) as session:
        report = import_entities(
            session,
            read_entity_rows(path),
            actor="bench",
            now=datetime.now(UTC),
            batch_size=batch_size,
            on_progress=progress,
            chunk_size=chunk_size,
        )
        session.commit()
    return time.perf_counter() - started, report


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def bench_backend(
    backend: str, folder: Path, files: tuple[Path, Path], args: argparse.Namespace
) -> None:
    rows = args.rows
    print(f"\n== {backend} ==")
    with fresh_database(backend, folder, args.postgres_url) as engine:
        base = baseline(engine, files[0], args.chunk_size)
    print(f"  baseline   {base:8.2f} s  {rows / base:>10,.0f} rows/s   plain INSERT, no validation")
    print(f"  peak RSS so far {peak_rss_mb():,.0f} MB")
    with fresh_database(backend, folder, args.postgres_url) as engine:
        for label, path in (("insert", files[0]), ("unchanged", files[0]), ("update", files[1])):
            seconds, report = timed_import(
                engine, path, label=label, batch_size=args.batch_size, chunk_size=args.chunk_size
            )
            print(
                f"  {label:<10} {seconds:8.2f} s  {rows / seconds:>10,.0f} rows/s   "
                f"{seconds / base:5.2f}x baseline time   inserted={report.inserted:,} "
                f"updated={report.updated:,} unchanged={report.unchanged:,} "
                f"rejected={len(report.rejected)} batches={report.batches_applied}"
            )
            print(f"  peak RSS so far {peak_rss_mb():,.0f} MB")
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(Entity)).scalar_one()
        print(f"  rows stored {stored:,} (distinct USCCs in the file)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--batch-size", type=int, default=None, help="default: one batch")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--postgres-url", default=POSTGRES_SERVER)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in logs
    print(f"peak RSS at start (interpreter + libraries) {peak_rss_mb():,.0f} MB")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="codeid-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=1) as pool:
            files = pool.submit(generate, folder, args.rows, args.seed).result()
        size = files[0].stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({size:,.0f} MB per file) in "
            f"{time.perf_counter() - started:.1f} s; batch_size={args.batch_size or 'whole file'}, "
            f"chunk_size={args.chunk_size}"
        )
        for backend in backends:
            bench_backend(backend, folder, files, args)


if __name__ == "__main__":
    main()
