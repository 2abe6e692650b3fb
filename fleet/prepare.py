"""Funded users for the bank test: ``python -m fleet.prepare --users 20 --amount 1000.00``.

Runs with the fleet's environment, so it reaches the database through PgBouncer like every
other process. Each user gets one real deposit (``deposit_create``) and an access token;
prints one JSON line: ``{"users": [{"id": ..., "token": ...}], "deposits": "20000.00"}``.
"""
import argparse
import json
from decimal import Decimal


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--amount", type=Decimal, required=True)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from bench import seed

    users = seed.create_users("fleet", args.users)
    seed.fund(users, args.amount)
    print(json.dumps({"users": [{"id": user.pk, "token": seed.token_for(user)} for user in users],
                      "deposits": str(args.amount * len(users))}))


if __name__ == "__main__":
    main()
