"""Percentiles and a closed-loop load of many clients: the measuring tape of the bench."""

import threading
import time
from dataclasses import dataclass, field


def percentile(sorted_values, share):
    """Nearest-rank percentile of an already sorted list (share 0.5 is the median)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(share * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary(latencies, elapsed=None):
    """p50/p90/p99/max in milliseconds, and a rate when the elapsed seconds are given."""
    ordered = sorted(latencies)
    ms = lambda v: None if v is None else round(v * 1000, 3)  # noqa: E731
    out = {
        "count": len(ordered),
        "p50_ms": ms(percentile(ordered, 0.50)),
        "p90_ms": ms(percentile(ordered, 0.90)),
        "p99_ms": ms(percentile(ordered, 0.99)),
        "max_ms": ms(ordered[-1] if ordered else None),
    }
    if elapsed:
        out["elapsed_s"] = round(elapsed, 3)
        out["per_second"] = round(len(ordered) / elapsed, 1)
    return out


@dataclass
class LoadResult:
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    elapsed: float = 0.0
    extra: dict = field(default_factory=dict)

    def summary(self):
        out = summary(self.latencies, self.elapsed)
        out["errors"] = len(self.errors)
        if self.errors:
            out["first_errors"] = [str(e)[:200] for e in self.errors[:3]]
        return out


def closed_loop(clients, duration, work, warmup=1.0, max_requests=None):
    """`clients` threads, each calling `work(client_index)` back to back for
    `duration` seconds after `warmup` seconds; `work` returns seconds taken (or
    raises). Every request is timed; only those started after the warmup count."""
    result = LoadResult()
    lock = threading.Lock()
    start = time.perf_counter() + warmup
    stop = start + duration
    done = [0]

    def loop(index):
        while True:
            began = time.perf_counter()
            if began >= stop or (max_requests and done[0] >= max_requests):
                return
            try:
                took = work(index)
            except Exception as error:  # noqa: BLE001 - counted and shown, not lost
                if began >= start:
                    with lock:
                        result.errors.append(error)
                continue
            if began >= start:
                with lock:
                    result.latencies.append(took)
                    done[0] += 1

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = min(time.perf_counter(), stop) - start
    return result
