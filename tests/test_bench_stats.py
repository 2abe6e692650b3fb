"""The benchmark's own pure helpers (the benchmark itself is not part of the test run)."""
import math

import pytest

from bench.ceiling import _bind
from bench.report import main_table, targets
from bench.stats import markdown_table, median, percentile, summarize


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


def test_ceiling_binds_captured_parameters_by_role():
    template = [{"role": "sender_user"}, {"const": True},
                {"list": [{"role": "transaction_id"}, {"role": "transaction_id"}]}]
    assert _bind(template, {"sender_user": 5, "transaction_id": 9}) == [5, True, [9, 9]]


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
    with pytest.raises(ValueError, match="sender_balance"):
        pgbench_script([{"sql": "SELECT %s", "params": [{"role": "sender_balance"}]}], user_ids=[1, 2])
    with pytest.raises(ValueError, match="placeholders"):
        pgbench_script([{"sql": "SELECT %s, %s", "params": [{"role": "amount"}]}], user_ids=[1, 2])


def _cell(scenario, clients, per_s, errors=None):
    return {"scenario": scenario, "clients": clients, "per_s": per_s, "p50_ms": 1.0, "p95_ms": 2.0,
            "p99_ms": 3.0, "errors": errors or {}, "seconds": 10, "client_cpu_s": 1.0,
            "machine_cpu": 0.99}


def test_report_lists_the_read_reference_after_the_transfers_with_its_ratio():
    cells = [_cell("read", 32, 800), _cell("spread", 32, 300), _cell("ceiling", 32, 4000)]
    lines = main_table(cells).splitlines()[2:]  # after the header and the alignment row
    assert [line.split("|")[1].strip() for line in lines] == ["ceiling", "spread", "read"]
    assert "| 20.0% |" in lines[2]


def test_an_error_in_the_read_reference_fails_the_error_target():
    ledger = {"balances": 1, "deposits": 1, "negative": 0, "mismatched_wallets": 0, "ok": True}
    cells = [_cell("ceiling", 32, 4000), _cell("spread", 32, 700),
             _cell("read", 32, 800, errors={"500": 3})]
    found = {name: ok for name, _, ok in targets(cells, [], {"count": 4}, ledger)}
    assert found["No errors other than `insufficient_funds` in any scenario"] is False
    assert found["`spread` at 32 clients ≥ 15% of `ceiling`"] is True
