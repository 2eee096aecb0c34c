"""latency-tracking's numbers are HdrHistogram's (1 ns unit, 2 significant figures), as
redis-server 7.0 reports them: the steps of LATENCY HISTOGRAM and the INFO latencystats
percentiles, checked against values redis-server printed."""

from keydb_ft.latency import cumulative_histogram, percentile_label, percentile_us


def test_histogram_steps():
    # 1 us and 3 us and 40 us: steps 1024 ns (1 us), 4096 ns (4 us), 65536 ns (66 us)
    assert cumulative_histogram({1: 2, 3: 1, 40: 1}) == [(1, 2), (4, 3), (66, 4)]
    assert cumulative_histogram({0: 5}) == [(1, 5)]
    # redis-server: DEBUG SLEEP of 0.05 / 0.2 / 3 ms -> 132, 528 and 4227
    assert [s for s, _ in cumulative_histogram({110: 1, 300: 1, 3100: 1})] == [132, 528, 4227]


def test_percentiles():
    assert percentile_us({1: 1}, 50) == 1.003            # redis: p50=1.003 for 1 us
    assert percentile_us({274: 1}, 50) == 274.431         # redis: p50=274.431
    counts = {1: 98, 10: 1, 1000: 1}
    assert percentile_us(counts, 50) == 1.003
    assert percentile_us(counts, 99) == 10.047            # 10000 ns: a 64 ns range
    assert percentile_us(counts, 99.9) == percentile_us(counts, 100) == 1003.519


def test_labels():
    assert [percentile_label(p) for p in (50.0, 99.0, 99.9, 99.99)] == \
        ["p50", "p99", "p99.9", "p99.99"]
