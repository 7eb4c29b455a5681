"""The handler core in plain Python, for comparison with the Rust one:
parse a Lambda Kinesis batch, base64-decode each record, parse its JSON,
validate the vote as the Rust one does (a driver on the grid, a user, a
`votedAt` timestamp), count per driver.

Besides the whole (`tally`, written as a Python handler would be), it times
the same two halves criterion times in Rust (`benches/handler_core.rs`):
parsing the event with each record's data decoded (what `lambda_runtime`
does into `aws_lambda_events` types before a Rust handler runs), and the
per-record work on decoded data (day 06's `tally`).

Usage: python3 python_tally.py BATCH.json GRID.json RUNS
Prints one line of JSON: the median milliseconds of each.
"""
import base64
import datetime
import json
import statistics
import sys
import time


def valid_vote(data, grid):
    """The vote's driver, or None when `data` is not a valid vote."""
    try:
        vote = json.loads(data)
        driver, user = vote["vote"], vote["user"]
        datetime.datetime.fromisoformat(vote["votedAt"])
    except (ValueError, KeyError, TypeError):
        return None
    if driver not in grid or not isinstance(user, str) or not user.strip():
        return None
    return driver


def tally(text, grid):
    """The whole handler core, in one pass."""
    counts = {}
    rejected = 0
    for record in json.loads(text)["Records"]:
        try:
            data = base64.b64decode(record["kinesis"]["data"])
        except (ValueError, KeyError, TypeError):
            rejected += 1
            continue
        driver = valid_vote(data, grid)
        if driver is None:
            rejected += 1
            continue
        counts[driver] = counts.get(driver, 0) + 1
    return counts, rejected


def parse_event(text):
    """First half: the event parsed, each record's data decoded."""
    return [base64.b64decode(record["kinesis"]["data"]) for record in json.loads(text)["Records"]]


def count(datas, grid):
    """Second half: the per-record work on decoded data."""
    counts = {}
    for data in datas:
        driver = valid_vote(data, grid)
        if driver is not None:
            counts[driver] = counts.get(driver, 0) + 1
    return counts


def median_ms(work, runs):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main():
    batch_file, grid_file, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    text = open(batch_file).read()
    grid = {driver["id"] for driver in json.load(open(grid_file))["drivers"]}
    counts, rejected = tally(text, grid)
    datas = parse_event(text)
    # The halves must do the whole's work: same votes counted.
    assert counts and counts == count(datas, grid) and sum(counts.values()) + rejected == len(datas)
    print(json.dumps({
        "whole": median_ms(lambda: tally(text, grid), runs),
        "parse_event": median_ms(lambda: parse_event(text), runs),
        "per_record": median_ms(lambda: count(datas, grid), runs),
    }))


if __name__ == "__main__":
    main()
