"""The handler core in plain Python, for comparison with the Rust one:
parse a Lambda Kinesis batch, base64-decode each record, parse its JSON,
validate the vote as the Rust one does (a driver on the grid, a user, a
`votedAt` timestamp), count per driver.

Usage: python3 python_tally.py BATCH.json GRID.json RUNS
Prints the median milliseconds of one batch.
"""
import base64
import datetime
import json
import statistics
import sys
import time


def tally(text, grid):
    counts = {}
    rejected = 0
    for record in json.loads(text)["Records"]:
        try:
            vote = json.loads(base64.b64decode(record["kinesis"]["data"]))
            driver, user = vote["vote"], vote["user"]
            datetime.datetime.fromisoformat(vote["votedAt"])
        except (ValueError, KeyError, TypeError):
            rejected += 1
            continue
        if driver not in grid or not isinstance(user, str) or not user.strip():
            rejected += 1
            continue
        counts[driver] = counts.get(driver, 0) + 1
    return counts, rejected


def main():
    batch_file, grid_file, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    text = open(batch_file).read()
    grid = {driver["id"] for driver in json.load(open(grid_file))["drivers"]}
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        counts, _ = tally(text, grid)
        timings.append((time.perf_counter() - start) * 1000)
    assert sum(counts.values()) > 0
    print(f"{statistics.median(timings):.3f}")


if __name__ == "__main__":
    main()
