"""Scale-out on Dask (dask.distributed): the same review, computed by a cluster.

The work splits as in a local batch run:

1. per note, in parallel (`map_partitions`): validate the rows and extract the
   mentions (`extract_partition`, a pure pandas-in, pandas-out function that Spark's
   `mapInPandas` can run as well);
2. per patient, after a shuffle on `patient_id` (`groupby(...).apply`): score each
   case with `scoring.score_patient` (`score_group`);
3. on the client: the scored cases, sorted by patient_id, are assembled into the
   review and evidence tables by the very code `pipeline.review` uses, so the
   tables are identical (columns, dtypes, values, order) to a local run.

Row numbers and duplicates. Row numbers are the 1-based record numbers of the
whole export, as in a local run: a first light pass counts each partition's rows
(its offset is the sum of the rows before it). Duplicate note_ids are rejected as
a local run rejects them, every row after the first *valid* occurrence: that same
pass reports, per partition, the first valid row of each note_id (`validate` with a
fresh `seen`), and a distributed group-by on note_id keeps, for the ids seen in
more than one partition, the earliest one (partition order, then row, which is
file order). The second pass validates each partition with `seen` pre-filled with
those earliest rows, except where the earliest row lies in that partition itself,
so every later occurrence (in this partition or another) is rejected with
"duplicate note_id (first at row N)" naming the same N a local run names.

Mentions keep their export order (`row`, then their order within the note), which
the scorer's tie-breaks and the `used` indices depend on.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import pickle
import time
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from pipeline.io.dates import parse_date
from pipeline.errors import InputError
from pipeline.io.exports import REJECT_COLUMNS, _format, validate
from pipeline.scoring.policy import Policy, load_policy
from pipeline.records import Mention, Note
from pipeline.io.scratch import NoteIdIndex

NOTE_COLUMNS = ["patient_id", "note_id", "note_date", "note_type", "text", "row"]
# every Mention field (note_classes as a sorted ';'-joined string), then the mention's place in the export
MENTION_COLUMNS = list(Mention._fields) + ["row", "mention_index"]
MENTION_DTYPES = {
    "patient_id": object, "note_id": object, "note_date": object, "section": object, "criterion": object,
    "label": object, "value": object, "unit": object, "date": object, "date_end": object,
    "negated": bool, "hypothetical": bool, "historical": bool, "family": bool,
    "start": "int64", "end": "int64", "sentence": object, "sentence_start": "int64", "note_classes": object,
    "row": "int64", "mention_index": "int64",
}
# the Spark schema of extract_partition's output (value as a double: Spark columns have one type)
SPARK_MENTION_SCHEMA = (
    "patient_id string, note_id string, note_date date, section string, criterion string, label string, "
    "value double, unit string, date date, date_end date, negated boolean, hypothetical boolean, "
    "historical boolean, family boolean, start long, end long, sentence string, sentence_start long, "
    "note_classes string, row long, mention_index long")
_BOOL = ("negated", "hypothetical", "historical", "family")
_INT = ("start", "end", "sentence_start")


def _empty(columns: list[str], dtypes: Mapping) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, object)) for c in columns})


MENTION_META = _empty(MENTION_COLUMNS, MENTION_DTYPES)


# --- per note --------------------------------------------------------------------------------------------
def _as_date(v) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, pd.Timestamp):
        return v.date()
    d = parse_date(str(v))
    if d is None:
        raise ValueError(f"note_date {v!r} is not a date; pass validated notes (exports.validate)")
    return d


def mentions_frame(mentions: Iterable[Mention], rows: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Mention tuples as rows of MENTION_COLUMNS; `rows` maps note_id to its export row (default: 0)."""
    records, last_note, k = [], None, 0
    for m in mentions:
        k = k + 1 if m.note_id == last_note else 0
        last_note = m.note_id
        records.append((*m[:-1], ";".join(sorted(m.note_classes)), (rows or {}).get(m.note_id, 0), k))
    if not records:
        return MENTION_META.copy()
    df = pd.DataFrame(records, columns=MENTION_COLUMNS, dtype=object)  # object: values keep their Python types
    return df.astype({c: t for c, t in MENTION_DTYPES.items() if t is not object})


def extract_partition(df: pd.DataFrame, patterns_dir: str | None = None,
                      policy: Policy | str | None = None) -> pd.DataFrame:
    """Validated notes in (patient_id, note_id, note_date, note_type, text[, row]), one row per mention out.

    Pure: the output depends only on the notes and the rules, so it runs unchanged in a
    Dask `map_partitions`, a Spark `mapInPandas` or a plain loop. Each output row carries
    every Mention field (note_classes as a sorted ';'-joined string), the note's export
    `row` and the mention's index within its note, so scoring can rebuild the Mention
    tuples in export order (`mention_tuples`). Only the mentions of `policy`'s criteria are read
    (default: the default policy, as `review_group` scores by default).
    """
    from pipeline.extract.notes import extract
    if not len(df):
        return MENTION_META.copy()
    rows = df["row"].tolist() if "row" in df.columns else list(range(1, len(df) + 1))
    notes = [Note(str(p), str(n), _as_date(d), "" if t is None else str(t), "" if x is None else str(x))
             for p, n, d, t, x in zip(df["patient_id"], df["note_id"], df["note_date"],
                                      df["note_type"] if "note_type" in df.columns else [""] * len(df), df["text"])]
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    return mentions_frame(extract(notes, patterns_dir, criteria=pol.criterion_names), dict(zip((n.note_id for n in notes), map(int, rows))))


def _value(v):
    if v is None:
        return None
    if isinstance(v, float) and v != v:  # NaN: a missing value that went through a float column
        return None
    return v


def _day(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    return _as_date(v)


def mention_tuples(df: pd.DataFrame) -> list[Mention]:
    """The Mention tuples of a mention frame, in export order (row, then index within the note)."""
    if not len(df):
        return []
    df = df.sort_values(["row", "mention_index"], kind="stable")
    out = []
    for r in df[list(Mention._fields)].itertuples(index=False, name=None):
        (pid, nid, ndate, section, criterion, label, value, unit, date, date_end, neg, hyp, hist, fam,
         start, end, sentence, sentence_start, classes) = r
        out.append(Mention(str(pid), str(nid), _as_date(ndate), str(section), str(criterion), str(label),
                           _value(value), "" if unit is None else str(unit), _day(date), _day(date_end),
                           bool(neg), bool(hyp), bool(hist), bool(fam), int(start), int(end), str(sentence),
                           int(sentence_start), frozenset(classes.split(";")) if classes else frozenset()))
    return out


# --- per patient -----------------------------------------------------------------------------------------
def score_group(group: pd.DataFrame, policy: Policy, review_date: dt.date | None = None):
    """Score one patient from its mention rows: (review row, [(Mention, used), ...]), or None if not a case.

    The review date is `review_date`, else the group's `review_date` column (set on the
    case's marker row, see `review_dask`, or on every row by a join with the cases); a
    group without one is not a case. Rows without a criterion (a case marker, or the
    nulls an outer join gives a case without mentions) are not mentions.
    """
    from pipeline.scoring.patient import score_patient
    if review_date is None and "review_date" in group.columns:
        dates = [d for d in group["review_date"].tolist() if _day(d) is not None]
        review_date = _day(dates[0]) if dates else None
    if review_date is None:
        return None
    is_mention = group["criterion"].notna() if "criterion" in group.columns else pd.Series(False, group.index)
    if "_kind" in group.columns:
        is_mention &= group["_kind"] == 1
    ms = mention_tuples(group[is_mention])
    pid = str(group["patient_id"].iloc[0]) if "patient_id" in group.columns else str(group.name)
    row, used = score_patient(pid, review_date, ms, policy)
    return row, [(m, i in used) for i, m in enumerate(ms)]


def review_group(group: pd.DataFrame, policy: Policy | str | None = None) -> pd.DataFrame:
    """One patient's review row as a DataFrame (for Spark's `groupBy("patient_id").applyInPandas`)."""
    from pipeline.engines.tables import _review_frame
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    scored = score_group(group, pol)
    return _review_frame([scored[0]] if scored else [])


def evidence_group(group: pd.DataFrame, policy: Policy | str | None = None, with_index: bool = False) -> pd.DataFrame:
    """One patient's evidence rows with `used` (for Spark's `groupBy("patient_id").applyInPandas`).

    `with_index` adds `evidence_index`, the rows' order within the patient, for an
    engine whose sort is not stable: order by (patient_id, evidence_index), then drop it.
    """
    from pipeline.engines.tables import _evidence_frame
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    scored = score_group(group, pol)
    out = _evidence_frame(scored[1] if scored else [])
    return out.assign(evidence_index=range(len(out))) if with_index else out


def _score_groups(group: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    scored = score_group(group, policy)
    if scored is None:
        return pd.DataFrame({"patient_id": pd.Series(dtype=object), "payload": pd.Series(dtype=object)})
    return pd.DataFrame({"patient_id": [scored[0]["patient_id"]],
                         "payload": [pickle.dumps(scored, protocol=pickle.HIGHEST_PROTOCOL)]})


# --- validation with export-wide row numbers and duplicates ------------------------------------------------
def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Extension dtypes (Arrow strings, nullable ints) as plain objects with None for missing, as pandas reads."""
    ext = [c for c in df.columns if df[c].dtype != object]
    if not ext:
        return df
    df = df.copy()
    for c in ext:
        s = df[c].astype(object)
        df[c] = s.where(s.notna(), None)
    return df


def _first_valid(df: pd.DataFrame, columns, source, partition_info=None) -> pd.DataFrame:
    """The first valid row of each note_id in this partition, keyed (partition, row) so keys sort in file order."""
    part = partition_info["number"] if partition_info else 0
    notes = validate(_plain(df), source, dict(columns or {})).notes
    return pd.DataFrame({"note_id": notes["note_id"].astype(object),
                         "key": (part << 32) + notes["row"].astype("int64")})


def _validated(df: pd.DataFrame, columns, source, offsets, firsts, partition_info=None):
    part = partition_info["number"] if partition_info else 0
    lo, hi = offsets[part], offsets[part + 1]
    earlier = [(nid, row) for nid, row in firsts.items() if not lo < row <= hi]
    seen = NoteIdIndex([nid for nid, _ in earlier], [row for _, row in earlier])
    try:
        return validate(_plain(df), source, dict(columns or {}), lo, seen)
    finally:
        seen.close()


def _notes_part(df, columns, source, offsets, firsts, partition_info=None) -> pd.DataFrame:
    notes = _validated(df, columns, source, offsets, firsts, partition_info).notes
    return notes.astype({"row": "int64"}).reindex(columns=NOTE_COLUMNS)


def _rejects_part(df, columns, source, offsets, firsts, partition_info=None) -> pd.DataFrame:
    rejected = _validated(df, columns, source, offsets, firsts, partition_info).rejected
    return rejected.astype({"row": "int64"})


def _extract_part(notes: pd.DataFrame, patterns_dir, policy: Policy) -> pd.DataFrame:
    return extract_partition(notes, patterns_dir, policy)


def _latest_part(notes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"patient_id": notes["patient_id"].astype(object),
                         "day": [d.toordinal() for d in notes["note_date"]]}).astype({"day": "int64"})


# --- the review ----------------------------------------------------------------------------------------------
def review_dask(ddf, cases: Mapping[str, dt.date] | pd.DataFrame | None = None, policy: Policy | str | None = None,
                review_date: dt.date | str | None = None, columns: dict[str, str] | None = None,
                patterns_dir: str | None = None, source: str = "<dask>"):
    """`pipeline.review` for a Dask DataFrame of notes (the export's raw columns): the same ReviewResult.

    Runs on the current Dask scheduler (a `dask.distributed.Client` if one is active).
    `cases`, `policy`, `review_date`, `columns` and `patterns_dir` mean what they mean in
    `pipeline.review`; the review and evidence tables are identical to its tables.
    """
    import dask
    from pipeline.engines.memory import review_arguments
    from pipeline.engines.tables import ReviewResult, _evidence_frame, _review_frame, run_record

    t0 = time.perf_counter()
    pol, cases, review_date = review_arguments(policy, cases, review_date)
    columns = dict(columns or {})
    validate(_plain(ddf._meta), source, columns)  # a missing column fails here, before any work, as locally

    with dask.config.set({"dataframe.convert-string": False}):
        # pass 1: partition sizes, and the first valid row of each note_id per partition
        sizes = ddf.map_partitions(len, meta=(None, "int64"), enforce_metadata=False)
        firsts = ddf.map_partitions(_first_valid, columns, source,
                                    meta=_empty(["note_id", "key"], {"key": "int64"}), enforce_metadata=False)
        agg = firsts.groupby("note_id").key.agg(["min", "count"], shuffle_method="tasks")
        sizes, agg = dask.compute(sizes, agg[agg["count"] > 1])
        offsets = [0]
        for n in sizes:
            offsets.append(offsets[-1] + int(n))
        dups = {nid: offsets[int(k) >> 32] + (int(k) & 0xFFFFFFFF) for nid, k in agg["min"].items()}
        t1 = time.perf_counter()

        # pass 2: validated notes -> mentions (per note); notes -> review dates; shuffle on patient_id -> scores
        args = (columns, source, offsets, dups)
        notes = ddf.map_partitions(_notes_part, *args, meta=_empty(NOTE_COLUMNS, {"row": "int64"}),
                                   enforce_metadata=False)
        rejected = ddf.map_partitions(_rejects_part, *args, meta=_empty(REJECT_COLUMNS, {"row": "int64"}),
                                      enforce_metadata=False)
        n_notes = notes.map_partitions(len, meta=(None, "int64"), enforce_metadata=False)
        mentions = notes.map_partitions(_extract_part, patterns_dir, pol, meta=MENTION_META, enforce_metadata=False)
        if cases:
            markers = pd.DataFrame({"patient_id": list(cases), "review_date": list(cases.values())})
            import dask.dataframe as dd
            markers = dd.from_pandas(markers.astype(object), npartitions=max(1, min(ddf.npartitions, 64)),
                                     sort=False)
        else:
            latest = notes.map_partitions(_latest_part, meta=_empty(["patient_id", "day"], {"day": "int64"}),
                                          enforce_metadata=False)
            latest = latest.groupby("patient_id").day.max(shuffle_method="tasks").reset_index()
            markers = latest.map_partitions(_markers, review_date,
                                            meta=_empty(["patient_id", "review_date"], {}), enforce_metadata=False)
        both = _concat(mentions.map_partitions(_mention_rows, meta=_kinded_meta(), enforce_metadata=False),
                       markers.map_partitions(_marker_rows, meta=_kinded_meta(), enforce_metadata=False))
        scored = both.groupby("patient_id").apply(_score_groups, pol, shuffle_method="tasks",
                                                  meta=_empty(["patient_id", "payload"], {}))
        scored, rejected, n_notes = dask.compute(scored, rejected, n_notes)
    t2 = time.perf_counter()

    found = sorted(((str(p), pickle.loads(b)) for p, b in zip(scored["patient_id"], scored["payload"])),
                   key=lambda x: x[0])
    rows = [s[0] for _, s in found]
    evidence = [e for _, s in found for e in s[1]]
    review_df, evidence_df = _review_frame(rows), _evidence_frame(evidence)
    rejected = rejected.reset_index(drop=True).reindex(columns=REJECT_COLUMNS) if len(rejected) else \
        pd.DataFrame(columns=REJECT_COLUMNS)  # as a local run has it
    t3 = time.perf_counter()
    run = run_record(pol, offsets[-1], int(sum(n_notes)), len(rejected), [(review_df, evidence_df)],
                     {"validate": t1 - t0, "extract_score": t2 - t1, "assemble": t3 - t2},
                     engine="dask", partitions=int(ddf.npartitions))
    return ReviewResult(review_df, evidence_df, rejected, run)


def _markers(latest: pd.DataFrame, review_date) -> pd.DataFrame:
    days = [review_date or dt.date.fromordinal(int(d)) for d in latest["day"]]
    return pd.DataFrame({"patient_id": latest["patient_id"].astype(object), "review_date": days}, dtype=object)


def _kinded_meta() -> pd.DataFrame:
    meta = MENTION_META.assign(review_date=pd.Series(dtype=object), _kind=pd.Series(dtype="int64"))
    return meta


def _mention_rows(mentions: pd.DataFrame) -> pd.DataFrame:
    return mentions.assign(review_date=pd.Series([None] * len(mentions), index=mentions.index, dtype=object),
                           _kind=1).astype({"_kind": "int64"})


def _marker_rows(markers: pd.DataFrame) -> pd.DataFrame:
    """Case markers in the mention frame's columns (one per case, `_kind` 0), so a groupby sees every case."""
    out = _kinded_meta().reindex(range(len(markers)))
    out["patient_id"] = markers["patient_id"].astype(str).tolist()
    out["review_date"] = markers["review_date"].tolist()
    out["_kind"] = 0
    for c in _BOOL:
        out[c] = False
    for c in (*_INT, "row", "mention_index"):
        out[c] = 0
    return out.astype({c: t for c, t in MENTION_DTYPES.items() if t is not object} | {"_kind": "int64"})


def _concat(a, b):
    import dask.dataframe as dd
    return dd.concat([a, b[list(a.columns)]], ignore_unknown_divisions=True)


# --- reading an export for a cluster ------------------------------------------------------------------------
def read_export(path: str | Path, blocksize: int = 64 << 20):
    """A note export as a Dask DataFrame of all-string columns, split so that every record is whole.

    CSV/TSV are split at line breaks outside quoted fields (notes span lines); JSON Lines at
    line breaks; Parquet by row group. A .gz export is one partition (it cannot be split):
    decompress it, or use Parquet, for large runs. Workers read the file by its path, so it
    must be on storage they share with the client.
    """
    import dask.dataframe as dd
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        raise InputError(f"{path}: a folder of .txt notes cannot be read by a cluster; run without --scheduler, "
                         f"or convert it to .csv/.parquet")
    fmt = _format(path)
    with __import__("dask").config.set({"dataframe.convert-string": False}):
        if fmt == "parquet":
            return dd.read_parquet(str(path))
        gz = path.name.lower().endswith(".gz")
        header = _header(path, fmt)
        ranges = [(0, None)] if gz else _split_points(path, blocksize, quoted=fmt != "jsonl")
        parts = [(str(path), fmt, a, b, i == 0, tuple(header)) for i, (a, b) in enumerate(ranges)]
        if fmt == "jsonl":  # JSON values have types: the meta comes from the first partition
            return dd.from_map(_read_range, parts, enforce_metadata=False)
        return dd.from_map(_read_range, parts, meta=_empty(header, {}), enforce_metadata=False)


def _header(path: Path, fmt: str) -> list[str]:
    if fmt == "jsonl":
        first = pd.read_json(path, lines=True, dtype=False, nrows=1, compression="infer")
        return [str(c) for c in first.columns]
    try:
        df = pd.read_csv(path, sep="," if fmt == "csv" else "\t", dtype=str, nrows=0, encoding="utf-8-sig",
                         compression="infer")
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise InputError(f"{path}: cannot be read as {fmt}: {e.__class__.__name__}") from None
    return [str(c) for c in df.columns]


def _split_points(path: Path, blocksize: int, quoted: bool) -> list[tuple[int, int]]:
    """Byte ranges that each hold whole records: cut at a line break with an even number of quotes before it."""
    size = os.path.getsize(path)
    if size <= blocksize:
        return [(0, size)]
    cuts, quotes, pos, target = [0], 0, 0, blocksize
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 22)
            if not block:
                break
            start = 0
            while pos + len(block) > target:
                # look for a cut at or after `target` inside this block
                i = max(target - pos, start)
                j = block.find(b"\n", i)
                if j < 0:
                    break
                q = quotes + block.count(b'"', 0, j) if quoted else 0
                if q % 2 == 0:
                    cuts.append(pos + j + 1)
                    target = pos + j + 1 + blocksize
                else:
                    target = pos + j + 1  # inside a quoted field: try the next line break
            quotes += block.count(b'"') if quoted else 0
            pos += len(block)
    if cuts[-1] < size:
        cuts.append(size)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _read_range(part) -> pd.DataFrame:
    path, fmt, start, end, first, header = part
    try:
        if end is None:  # a .gz export, whole
            from pipeline.io.exports import read_table
            return read_table(path)
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
        if fmt == "jsonl":
            return pd.read_json(io.BytesIO(data), lines=True, dtype=False) if data.strip() else pd.DataFrame()
        kw = dict(sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False, na_filter=False,
                  encoding="utf-8-sig")
        if first:
            return pd.read_csv(io.BytesIO(data), **kw)
        return pd.read_csv(io.BytesIO(data), header=None, names=list(header), **kw)
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text near byte {start + e.start}; re-export as UTF-8") from None
    except (ValueError, pd.errors.ParserError) as e:
        raise InputError(f"{path}: cannot be read as {fmt} in bytes {start}-{end}: {e.__class__.__name__}") \
            from None


def run_on_cluster(notes_path: str | Path, scheduler: str, *, cases=None, review_date=None, policy=None,
                   columns=None, patterns_dir=None, blocksize: int = 64 << 20):
    """`scs-abstract run NOTES --scheduler ADDRESS`: read the export on the cluster and review it there."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise InputError("--scheduler needs dask[distributed]: pip install 'dask[distributed]'") from None
    try:
        client = Client(scheduler, timeout="30s")
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError(f"--scheduler {scheduler}: no Dask scheduler answers there ({e.__class__.__name__})") \
            from None
    with client:  # the active client runs the compute calls
        ddf = read_export(notes_path, blocksize)
        return review_dask(ddf, cases=cases, policy=policy, review_date=review_date, columns=columns,
                           patterns_dir=patterns_dir, source=str(notes_path))
