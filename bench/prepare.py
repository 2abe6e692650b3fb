"""A revision's database, seeded by its own code: ``python bench/prepare.py --root <revision> ...``.

``bench.run`` benches two revisions of the service (a baseline git worktree and the
working tree's snapshot), so whatever touches a revision's models, migrations or
services runs here, in a process that imports that revision's ``config`` and ``apps``
(``--root``) and reads its settings from the environment ``bench.run`` hands over:

migrate; funded users (real deposits through the revision's own service) and their JWTs
(``<id> <token>`` lines for the wrk scripts); optionally the SQL of one captured transfer,
histories of given sizes with the deep-page position, a pyinstrument profile of
transfers through the WSGI app, and the data of the cells of features a baseline may not
have (``--extras``, on a database seeded before): a transfer received by each user of the
pool, to refund (``--refunds``), and a second pool with one webhook endpoint per user
(``--hooks``). (The ledger is checked afterwards by the revision's own
``manage.py verify_ledger``.)

Writes one JSON document to ``--out``. Run as a script, not with ``-m``: the revision's
tree may hold a ``bench`` package of its own; the helpers (``seed``, ``capture``,
``profiling``) are imported from this file's directory.
"""
import argparse
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _use_revision(root: Path) -> None:
    """Import ``config`` and ``apps`` from the revision; the helpers from this directory."""
    root = root.resolve()
    sys.path[:] = [str(root), str(HERE)] + [p for p in sys.path
                                            if p and Path(p).resolve() not in (root, HERE, HERE.parent)]
    import django

    django.setup()
    import config

    if Path(config.__file__).resolve().parent.parent != root:
        raise RuntimeError(f"config imported from {config.__file__}, not from {root}")


def _log(message: str) -> None:
    print(f"[prepare {time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup(args) -> dict:
    import seed
    from django.core.management import call_command

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not args.extras:  # a database seeded before keeps its sequences
        seed.separate_id_spaces()
    pool = seed.create_users(args.prefix, args.pool)
    seed.fund(pool, args.amount)
    users = [{"id": u.pk, "token": seed.token_for(u)} for u in pool]
    Path(args.tokens).write_text("".join(f"{u['id']} {u['token']}\n" for u in users))
    out = {"users": len(users), "first_user": users[0]["id"], "token": users[0]["token"],
           "user_ids": [u["id"] for u in users], "deposits": str(args.amount * len(users))}
    if args.refunds:
        out["refunds"] = _refunds(args, pool, users)
    if args.hooks:
        out["hooks"] = _hooks(args)
    if args.extras:
        try:
            from apps.wallets.holds import hold_capture, hold_create  # noqa: F401 (the revision holds)
            out["holds"] = {}
        except ImportError as exc:
            out["holds"] = {"skipped": f"not in this revision: {exc}"}
    if args.capture:
        from capture import capture_transfer

        sender, receiver = seed.create_users("capture", 2)
        seed.fund([sender], Decimal("123.45"))
        seed.fund([receiver], Decimal("50.00"))
        out["sql"] = capture_transfer(sender=sender, receiver=receiver, amount=Decimal("7.77"))
    history = []
    for size in args.history_rows:
        owner, other = seed.create_users(f"history{size}_", 2)
        started = time.perf_counter()
        seed.create_history(owner=owner, other=other, rows=size)
        _log(f"history of {size:,} transactions in {time.perf_counter() - started:.1f} s")
        depth = int(size * 0.9)
        history.append({"rows": size, "user_id": owner.pk, "token": seed.token_for(owner), "depth": depth,
                        "deep_position": seed.history_position(owner, depth)})
    out["history"] = history
    if history or args.capture:
        seed.analyze()
    if args.profile:
        from profiling import profile_transfers

        _log(f"profile: {args.profile} transfers through the WSGI app (pyinstrument)")
        try:
            out["profile"] = profile_transfers(users=users, count=args.profile, text_path=Path(
                args.profile_text) if args.profile_text else None)
        except Exception as exc:  # the profile is an aside: the run goes on without it
            _log(f"profile failed: {exc!r}")
    out["seconds"] = time.perf_counter() - began
    return out


def _refunds(args, pool, users) -> dict:
    """A transfer of ``--refund-transfer`` to each user of the pool from the next one, through the
    revision's own service; ``<id> <token> <transfer id>`` lines to ``--refunds``."""
    try:
        from apps.wallets.services import refund_create, transfer_create
    except ImportError as exc:
        _log(f"refunds: not in this revision ({exc})")
        return {"skipped": f"not in this revision: {exc}"}
    del refund_create  # imported to know that the revision refunds
    started = time.perf_counter()
    received = []
    for i, user in enumerate(pool):
        sender = pool[(i + 1) % len(pool)]
        result = transfer_create(sender_id=sender.pk, receiver_id=user.pk, amount=args.refund_transfer)
        received.append(result.transaction.pk)
    lines = (f"{u['id']} {u['token']} {t}\n" for u, t in zip(users, received, strict=True))
    Path(args.refunds).write_text("".join(lines))
    _log(f"refunds: {len(received):,} transfers of {args.refund_transfer} to refund, "
         f"{time.perf_counter() - started:.1f} s")
    return {"transfers": len(received), "amount": str(args.refund_transfer)}


def _hooks(args) -> dict:
    """A second pool, funded, each user with one enabled endpoint for ``transfer.sent`` and
    ``transfer.received`` at ``--hook-url`` (registered through the revision's own service);
    its tokens to ``--hooks``."""
    import seed

    try:
        from apps.webhooks.services import endpoint_create
    except ImportError as exc:
        _log(f"webhooks: not in this revision ({exc})")
        return {"skipped": f"not in this revision: {exc}"}
    started = time.perf_counter()
    pool = seed.create_users(f"{args.prefix}hook", args.pool)
    seed.fund(pool, args.amount)
    for user in pool:
        endpoint_create(user_id=user.pk, url=args.hook_url, events=["transfer.sent", "transfer.received"])
    Path(args.hooks).write_text("".join(f"{u.pk} {seed.token_for(u)}\n" for u in pool))
    _log(f"webhooks: {len(pool):,} funded users with an endpoint each, {time.perf_counter() - started:.1f} s")
    return {"users": len(pool), "url": args.hook_url}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the revision's tree (its config and apps)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--pool", type=int, default=1000, help="funded users")
    parser.add_argument("--prefix", default="bench", help="their usernames' prefix")
    parser.add_argument("--amount", type=Decimal, default=Decimal("1000000.00"), help="each one's deposit")
    parser.add_argument("--tokens", help="setup: where to write '<id> <token>' lines")
    parser.add_argument("--capture", action="store_true", help="setup: capture one transfer's SQL")
    parser.add_argument("--history-rows", default="", help="setup: history sizes, comma-separated")
    parser.add_argument("--profile", type=int, default=0, help="setup: transfers to profile")
    parser.add_argument("--profile-text", default="")
    parser.add_argument("--extras", action="store_true",
                        help="the database is seeded already: another pool (--prefix), no id-space reset")
    parser.add_argument("--refunds", default="",
                        help="a received transfer per user; '<id> <token> <transfer>' lines to this file")
    parser.add_argument("--refund-transfer", type=Decimal, default=Decimal("100.00"),
                        help="the amount of each transfer to refund")
    parser.add_argument("--hooks", default="", help="a second pool with a webhook endpoint each; its tokens "
                                                    "to this file")
    parser.add_argument("--hook-url", default="http://127.0.0.1:9/hook", help="the endpoints' URL")
    args = parser.parse_args(argv)
    args.history_rows = [int(r) for r in args.history_rows.split(",") if r]
    _use_revision(Path(args.root))
    result = setup(args)
    Path(args.out).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
