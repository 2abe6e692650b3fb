"""The benchmark's own pure helpers (the benchmark itself is not part of the test run; no wrk needed)."""
import math

import pytest

from bench.httpload import parse_wrk_output, summarize_wrk, wrk_command
from bench.procs import cpu_per_op, subtree_ticks
from bench.report import aggregate, median_of, ratio, targets, unanswered
from bench.stats import fmt, markdown_table, median, percentile, summarize


def test_percentile_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([3, 1, 2], 50) == 2  # order of input does not matter
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_median_even_and_odd():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_summarize_counts_successes_per_second_and_latency_in_ms():
    cell = summarize(latencies_s=[0.010] * 98 + [0.050, 0.100], ok=90,
                     errors={"400 insufficient_funds": 10}, seconds=10)
    assert cell["per_s"] == 9
    assert cell["p50_ms"] == pytest.approx(10)
    assert cell["p99_ms"] == pytest.approx(50)
    assert cell["max_ms"] == pytest.approx(100)
    assert cell["errors"] == {"400 insufficient_funds": 10}


def test_markdown_table_aligns_numbers_right_and_formats_them():
    table = markdown_table(["scenario", "transfers/s"], [["spread", 1234.5], ["hot", 12]])
    assert table.splitlines() == [
        "| scenario | transfers/s |",
        "| --- | ---: |",
        "| spread | 1,234.5 |",
        "| hot | 12 |",
    ]


def test_fmt_shows_missing_and_unbounded_values():
    assert fmt(math.nan) == "-"
    assert fmt(None) == "-"
    assert fmt(math.inf) == "∞"
    assert fmt(2.345, 2) == "2.35"


def test_pgbench_script_substitutes_each_parameter_by_its_role():
    from bench.ceiling import pgbench_script

    statements = [
        {"sql": 'SELECT "id" FROM "wallets_wallet" WHERE "user_id" IN (%s, %s) FOR NO KEY UPDATE',
         "params": [{"role": "sender_user"}, {"role": "receiver_user"}]},
        {"sql": 'UPDATE "wallets_wallet" SET "balance" = CASE "user_id" WHEN %s THEN %s WHEN %s THEN %s END',
         "params": [{"role": "sender_user"}, {"role": "debit"}, {"role": "receiver_user"},
                    {"role": "amount"}]},
        {"sql": 'INSERT INTO "transactions_transaction" ("kind", "created_at") '
                'VALUES (%s, %s) RETURNING "id"',
         "params": [{"const": "it's"}, {"role": "now"}]},
        {"sql": 'INSERT INTO "transactions_ledgerentry" ("transaction_id", "counterparty_id") '
                'VALUES (%s, %s)',
         "params": [{"role": "transaction_id"}, {"const": None}]},
    ]
    lines = pgbench_script(statements, user_ids=[3, 1, 2]).splitlines()
    assert lines[:2] == ["\\set sender_user random(1, 3)", "\\set receiver_user random(1, 2)"]
    assert lines[4] == "BEGIN;" and lines[-1] == "COMMIT;"
    assert lines[5].endswith("IN (:sender_user, :receiver_user) FOR NO KEY UPDATE;")
    assert "WHEN :sender_user THEN (0 - :cents::numeric / 100) WHEN :receiver_user THEN " \
           "(:cents::numeric / 100) END;" in lines[6]
    assert lines[7].endswith("VALUES ('it''s', now()) RETURNING \"id\" \\gset txn_")
    assert lines[8].endswith("VALUES (:txn_id, NULL);")


def test_pgbench_script_refuses_what_it_cannot_replay():
    from bench.ceiling import pgbench_script

    with pytest.raises(ValueError, match="contiguous"):
        pgbench_script([], user_ids=[1, 3])
    with pytest.raises(ValueError, match="sender_wallet"):
        pgbench_script([{"sql": "SELECT %s", "params": [{"role": "sender_wallet"}]}], user_ids=[1, 2])
    # The running balance is read back from the just-updated wallet row.
    script = pgbench_script([{"sql": "SELECT %s", "params": [{"role": "sender_balance"}]}], user_ids=[1, 2])
    assert 'SELECT "balance" FROM "wallets_wallet" WHERE "user_id" = :sender_user' in script
    with pytest.raises(ValueError, match="placeholders"):
        pgbench_script([{"sql": "SELECT %s, %s", "params": [{"role": "amount"}]}], user_ids=[1, 2])


# --- wrk ----------------------------------------------------------------------------------

WRK_STDOUT = """Running 8s test @ http://127.0.0.1:8765
  2 threads and 32 connections
  Latency Distribution
     50%  120.00ms
Requests/sec:    251.40
WRK_JSON {"requests":2012,"duration_us":8003000,"bytes":1,"sent":2044,"answered":2012,\
"statuses":{"201":2000,"400 insufficient_funds":10,"503 database_unavailable":2},\
"latency_us":{"p50":120000,"p90":150000,"p95":160000,"p99":190500,"max":250000,"mean":121000.5},\
"errors":{"connect":0,"read":1,"write":0,"timeout":3,"status":12}}
"""


def test_parse_wrk_output_finds_the_json_line_among_wrks_own_text():
    raw = parse_wrk_output(WRK_STDOUT)
    assert raw["statuses"]["201"] == 2000
    assert raw["latency_us"]["p99"] == 190500
    with pytest.raises(ValueError, match="no WRK_JSON"):
        parse_wrk_output("Running 8s test\nRequests/sec: 1.0\n")


def test_summarize_wrk_counts_the_expected_status_as_success_and_the_rest_as_errors():
    cell = summarize_wrk(parse_wrk_output(WRK_STDOUT), 201)
    assert cell["ok"] == 2000
    assert cell["per_s"] == pytest.approx(2000 / 8.003)
    assert cell["p50_ms"] == 120 and cell["p99_ms"] == 190.5 and cell["max_ms"] == 250
    assert cell["errors"] == {"400 insufficient_funds": 10, "503 database_unavailable": 2,
                              "socket read": 1, "socket timeout": 3}
    assert cell["answered"] == 2012
    assert cell["in_flight"] == 2044 - 2012 - 1  # the request lost to the read error is not in flight


def test_summarize_wrk_makes_p99_unbounded_when_more_requests_hang_than_were_answered():
    hung = {"requests": 5, "duration_us": 8_000_000, "sent": 37, "statuses": {"201": 5},
            "latency_us": {"p50": 4_000_000, "p90": 4_400_000, "p95": 4_400_000, "p99": 4_400_000,
                           "max": 4_400_000, "mean": 4e6},
            "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0, "status": 0}}
    cell = summarize_wrk(hung, 201)
    assert cell["in_flight"] == 32
    assert math.isinf(cell["p99_ms"]) and cell["p50_ms"] == 4000
    nothing = {**hung, "requests": 0, "sent": 32, "statuses": {}}
    assert math.isinf(summarize_wrk(nothing, 201)["p50_ms"])
    assert summarize_wrk(nothing, 201)["per_s"] == 0


def test_wrk_command_uses_one_thread_for_one_client_and_passes_the_script_arguments():
    one = wrk_command(url="http://127.0.0.1:1", scenario="hot", clients=1, duration=2.5,
                      tokens="/tmp/t.txt", stop_after=7)
    assert one[:8] == ["wrk", "-t", "1", "-c", "1", "-d", "3s", "--latency"]
    assert one[one.index("--timeout") + 1] == "10s"
    assert one[-4:] == ["--", "/tmp/t.txt", "hot", "7"] and one[-6].endswith("transfer.lua")
    many = wrk_command(url="http://127.0.0.1:1", scenario="read", clients=32, duration=8, tokens="/tmp/t.txt")
    assert many[2] == "2" and many[-2:] == ["--", "/tmp/t.txt"] and many[-4].endswith("read.lua")
    with pytest.raises(ValueError):
        wrk_command(url="http://x", scenario="ceiling", clients=1, duration=1, tokens="t")


# --- CPU accounting ----------------------------------------------------------------------

def test_subtree_ticks_adds_descendants_and_nothing_else():
    table = {1: (0, "init", 100), 10: (1, "python", 5), 11: (10, "python", 7), 12: (11, "python", 1),
             20: (1, "postgres", 50)}
    assert subtree_ticks(table, {10}) == 13
    assert subtree_ticks(table, {11, 12}) == 8
    assert subtree_ticks(table, {99}) == 0


def test_cpu_per_op_splits_the_machine_time_by_group_and_keeps_the_rest_as_other(monkeypatch):
    import bench.procs

    monkeypatch.setattr(bench.procs, "HERTZ", 100)
    before = {"groups": {"service": 100, "PostgreSQL": 50}, "busy": 1000, "total": 2000}
    after = {"groups": {"service": 300, "PostgreSQL": 90}, "busy": 1400, "total": 2400}
    per_op = cpu_per_op(before, after, 100, driver_cpu_s=0.5)
    assert per_op["service"] == pytest.approx(20)  # 200 ticks = 2 s over 100 transfers
    assert per_op["PostgreSQL"] == pytest.approx(4)
    assert per_op["wrk"] == pytest.approx(5)
    assert per_op["other"] == pytest.approx(11)  # 400 busy ticks - 240 - 50 (wrk) = 110
    assert all(math.isnan(v) for v in cpu_per_op(before, after, 0).values())


# --- medians, ratios, targets ---------------------------------------------------------------

def test_median_of_skips_what_was_not_measured_and_ratio_refuses_a_zero_baseline():
    assert median_of([1.0, None, math.nan, 3.0]) == 2.0
    assert math.isnan(median_of([None, math.nan]))
    assert ratio(3.0, 2.0) == 1.5
    assert math.isnan(ratio(1.0, 0.0)) and math.isnan(ratio(math.nan, 1.0)) and math.isnan(ratio(None, 1))


def _record(rev, cell, clients, per_s, *, round_=0, p99=100.0, service=5.0, errors=None, **extra):
    return {"rev": rev, "cell": cell, "clients": clients, "round": round_, "per_s": per_s, "p50_ms": p99 / 2,
            "p95_ms": p99 * 0.9, "p99_ms": p99, "max_ms": p99 * 1.2, "machine_cpu": 0.99,
            "errors": errors or {}, "cpu_ms": {"service": service, "PostgreSQL": 1.0}, **extra}


def test_aggregate_takes_medians_of_the_rounds_and_sums_errors():
    agg = aggregate([
        _record("new", "spread", 32, 300, round_=0, p99=100, service=4.0, errors={"socket timeout": 1}),
        _record("new", "spread", 32, 400, round_=1, p99=140, service=5.0, errors={"socket timeout": 2}),
        _record("new", "e2e", 32, 150, backlog_start=100, backlog_end=90),
        _record("new", "e2e", 32, 170, round_=1, backlog_start=90, backlog_end=120),
    ])
    spread = agg[("spread", 32)]["new"]
    assert spread["per_s"] == 350 and spread["p99_ms"] == 120 and spread["cpu_ms"]["service"] == 4.5
    assert spread["per_s_runs"] == [300, 400] and spread["runs"] == 2
    assert spread["errors"] == {"socket timeout": 3}
    e2e = agg[("e2e", 32)]["new"]
    assert e2e["backlog_growth"] == 10  # median of -10 and +30
    assert e2e["backlog_runs"] == [(100, 90), (90, 120)]


DOCUMENTED = {"201": set(), "400": {"insufficient_funds", "invalid_amount"}, "429": set(), "503": {"x"}}
OPERATIONS = {"refund": {"201": set(), "409": {"amount_exceeds_remaining", "already_fully_returned"}},
              "holdcap": {"200": set(), "201": set(), "409": {"hold_not_active"}}}


def test_unanswered_allows_201s_peers_only_as_documented_4xx():
    errors = {"400 insufficient_funds": 3, "400 made_up": 1, "429": 2, "404": 1, "503 x": 4,
              "socket timeout": 5}
    assert unanswered(errors, DOCUMENTED) == {"400 made_up": 1, "404": 1, "503 x": 4, "socket timeout": 5}
    assert unanswered({}, DOCUMENTED) == {}


def _agg_for_targets(new_spread=400.0, new_p99=90.0, new_service=3.0, hole_p99=100.0, growth=(100, 80),
                     new_read=700.0, hooks=380.0):
    records = [
        _record("baseline", "spread", 32, 300, p99=150, service=5.0),
        _record("new", "spread", 32, new_spread, p99=new_p99, service=new_service),
        _record("baseline", "read", 32, 600),
        _record("new", "read", 32, new_read),
        _record("new", "plain", 32, 400),
        _record("new", "hooks", 32, hooks),
        _record("new", "refund", 32, 200, errors={"409 amount_exceeds_remaining": 1}),
        _record("new", "holdcap", 32, 100),
        _record("baseline", "ceiling", 32, 3000),
        _record("new", "ceiling", 32, 3000),
        _record("new", "hot", 32, 300, errors={"400 insufficient_funds": 2}),
        _record("new", "blackhole", 32, 380, p99=hole_p99),
        _record("new", "e2e", 32, 250, backlog_start=growth[0], backlog_end=growth[1]),
    ]
    return aggregate(records)


def _targets(agg, **overrides):
    ledger = "clean"
    arguments = {"sql": {"new": {"count": 4}, "baseline": {"count": 4}},
                 "history": [{"rows": 10_000, "page": "first", "median_ms": 10.0},
                             {"rows": 10_000, "page": "deep", "median_ms": 10.0},
                             {"rows": 1_000_000, "page": "first", "median_ms": 12.0},
                             {"rows": 1_000_000, "page": "deep", "median_ms": 16.0}],
                 "drains": [{"rev": "new", "per_s": 80.0}], "ledgers": {"baseline": ledger, "new": ledger},
                 "documented": DOCUMENTED, "operations": OPERATIONS, **overrides}
    return {name: (measured, ok) for name, measured, ok in targets(agg, **arguments)}


def test_targets_pass_when_the_new_revision_meets_every_goal():
    found = _targets(_agg_for_targets())
    assert found["`spread`@32 throughput ≥ 0.95x baseline"] == ("1.33x (400.0 vs 300.0 /s)", True)
    assert found["`spread`@32 p99 ≤ 1.1x baseline"][1] is True
    assert found["`read`@32 throughput ≥ 0.95x baseline"][1] is True
    assert found["`spread`@32 with one webhook endpoint per user ≥ 0.9x `spread` (new, same run)"] == (
        "0.95x (380.0 vs 400.0 /s)", True)
    assert found["`refund`@32: every request answered, 201 or a documented 4xx (new)"] == (
        "409 amount_exceeds_remaining: 1", True)
    assert found["`hold+capture`@32: every request answered, 201/200 or a documented 4xx (new)"][1] is True
    assert found["`spread`@32 ≥ 0.5x `read`@32 (new, same run)"][1] is True
    assert found["`hot`@32: every request answered, 201 or a documented 4xx (new)"][1] is True
    assert found["`spread`@32 p99 with the broker black-holed ≤ 1.2x healthy (new)"][1] is True
    assert found["At most 5 SQL statements per transfer without an idempotency key (new)"][1] is True
    assert found["`history` first page at 1,000,000 rows within 1.5x of 10,000 (new)"][1] is True
    assert found["`history` deep page at 1,000,000 rows within 1.5x of 10,000 (new)"][1] is False
    assert found["End to end: transfers/s with worker + beat ≥ 0.5x transfer-only (new)"][1] is True
    assert found["End to end: receipt backlog not growing over the window (new, median of rounds)"] == (
        "100 → 80", True)
    assert found["Receipt drain after a burst ≥ 50 receipts/s (new)"] == ("80.0/s", True)
    assert found["Goal: `spread`@32 ≥ 25% of `ceiling`@32 (new)"][1] is False
    assert found["Ledger intact afterwards (new)"] == ("verify_ledger clean", True)


def test_targets_fail_on_regressions_hangs_and_a_growing_backlog():
    found = _targets(_agg_for_targets(new_spread=280, new_p99=170, new_service=4.5, hole_p99=math.inf,
                                      growth=(100, 300), new_read=500, hooks=300),
                     drains=[], sql={"new": {"count": 6}})
    assert found["`spread`@32 throughput ≥ 0.95x baseline"][1] is False
    assert found["`spread`@32 p99 ≤ 1.1x baseline"][1] is False
    assert found["`read`@32 throughput ≥ 0.95x baseline"][1] is False
    assert found["`spread`@32 with one webhook endpoint per user ≥ 0.9x `spread` (new, same run)"][1] is False
    assert found["`spread`@32 p99 with the broker black-holed ≤ 1.2x healthy (new)"] == (
        "∞ (∞ vs 170.0 ms)", False)
    assert found["At most 5 SQL statements per transfer without an idempotency key (new)"][1] is False
    backlog = "End to end: receipt backlog not growing over the window (new, median of rounds)"
    assert found[backlog][1] is False
    assert found["Receipt drain after a burst ≥ 50 receipts/s (new)"] == ("not run", None)


def test_targets_come_from_the_declared_cells_and_floors():
    agg = _agg_for_targets()
    declared = [{"name": "`spread`@{top} ≥ {floor}x baseline", "kind": "ratio", "unit": "/s",
                 "of": ["spread", "new", "per_s"], "to": ["spread", "baseline", "per_s"], "at_least": 1.5},
                {"name": "Ledger ({rev})", "kind": "ledger"}]
    found = _targets(agg, declared=declared)
    assert found == {"`spread`@32 ≥ 1.5x baseline": ("1.33x (400.0 vs 300.0 /s)", False),
                     "Ledger (baseline)": ("verify_ledger clean", True),
                     "Ledger (new)": ("verify_ledger clean", True)}
    failed = _targets(agg, ledgers={"baseline": "clean", "new": "FAILED: 1 wallet off its log"})
    assert failed["Ledger intact afterwards (new)"] == ("verify_ledger FAILED: 1 wallet off its log", False)
    with pytest.raises(ValueError, match="unknown kind"):
        _targets(agg, declared=[{"name": "x", "kind": "speed"}])


def test_hot_target_fails_on_a_socket_error_or_an_undocumented_answer():
    agg = _agg_for_targets()
    agg[("hot", 32)]["new"]["errors"] = {"socket timeout": 1, "500": 2}
    measured, ok = _targets(agg)["`hot`@32: every request answered, 201 or a documented 4xx (new)"]
    assert ok is False and "not allowed: 500: 2, socket timeout: 1" in measured


def test_documented_transfer_answers_reads_statuses_and_error_codes_from_the_schema(tmp_path):
    from bench.run import documented_transfer_answers

    schema = tmp_path / "schema.yml"
    schema.write_text("""
paths:
  /api/wallet/transfer/:
    post:
      responses:
        '201':
          description: ''
        '400':
          content:
            application/json:
              examples:
                InsufficientFunds:
                  value: {code: insufficient_funds, message: refused}
                SelfTransfer:
                  value: {code: self_transfer, message: refused}
        '429':
          description: throttled
""")
    assert documented_transfer_answers(schema) == {
        "201": set(), "400": {"insufficient_funds", "self_transfer"}, "429": set()}
    (tmp_path / "other.yml").write_text("paths: {}\n")
    assert documented_transfer_answers(tmp_path / "other.yml") == {}


def test_new_only_targets_judge_their_cells_by_their_operations_answers():
    agg = _agg_for_targets()
    agg[("refund", 32)]["new"]["errors"] = {"409 insufficient_funds": 2, "500": 1}
    found = _targets(agg)
    measured, ok = found["`refund`@32: every request answered, 201 or a documented 4xx (new)"]
    assert ok is False and "not allowed: 409 insufficient_funds: 2, 500: 1" in measured
    del agg[("holdcap", 32)]
    del agg[("hooks", 32)]
    found = _targets(agg)
    assert found["`hold+capture`@32: every request answered, 201/200 or a documented 4xx (new)"] == (
        "not run", None)
    assert found["`spread`@32 with one webhook endpoint per user ≥ 0.9x `spread` (new, same run)"][1] is None


def test_summarize_wrk_counts_intermediate_steps_as_answered_not_as_errors():
    raw = parse_wrk_output(WRK_STDOUT)
    raw["statuses"] = {"201": 50, "200": 48, "409 hold_not_active": 1}
    cell = summarize_wrk(raw, 200, (201,))
    assert cell["ok"] == 48 and cell["steps"] == 50 and cell["answered"] == 99
    assert cell["errors"] == {"409 hold_not_active": 1, "socket read": 1, "socket timeout": 3}


def test_documented_answers_merge_the_operations_paths(tmp_path):
    from bench.run import documented_answers

    schema = tmp_path / "schema.yml"
    schema.write_text("""
paths:
  /api/holds/:
    post:
      responses:
        '201': {description: ''}
        '400':
          content:
            application/json:
              examples:
                Funds: {value: {code: insufficient_funds}}
  /api/holds/{id}/capture/:
    post:
      responses:
        '200': {description: ''}
        '409':
          content:
            application/json:
              examples:
                NotActive: {value: {code: hold_not_active}}
""")
    assert documented_answers(schema, "/api/holds/", "/api/holds/{id}/capture/") == {
        "201": set(), "200": set(), "400": {"insufficient_funds"}, "409": {"hold_not_active"}}
    assert documented_answers(schema, "/api/transactions/{id}/refund/") == {}
