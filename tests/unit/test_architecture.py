"""The apps import one another only in the direction ``docs/architecture.md`` draws.

Every import under ``apps/`` is read from the source (local imports inside
functions included), so a new dependency against the direction of the map
fails here rather than in a reader's head.
"""
import ast
from pathlib import Path

from django.conf import settings

APPS = settings.BASE_DIR / "apps"
# users → wallets → transactions → receipts → core; web stands alone. The wallets write a
# movement's events with it (wallets → webhooks), and an event's data is the transaction as the
# history shows it (webhooks → transactions). The ledger writes the owed
# receipt (the outbox row) in the movement's statement, so it imports the receipt model; receipts
# read a transaction only through that row's relation. Users share the printable-name rule
# through core, never receipts.
MAY_IMPORT = {
    "core": set(),
    "receipts": {"core"},
    "transactions": {"receipts", "core"},
    "webhooks": {"transactions", "core"},
    "wallets": {"transactions", "webhooks", "core"},
    "users": {"wallets", "transactions", "core"},
    "web": set(),
}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import hides which app it reaches"
            names = [node.module]
        found |= {name.split(".")[1] for name in names if name.startswith("apps.") and "." in name}
    return found


def test_every_app_is_on_the_map():
    assert {p.name for p in APPS.iterdir() if (p / "apps.py").exists()} == set(MAY_IMPORT)


def test_apps_import_only_in_the_direction_of_the_map():
    wrong = []
    for app, allowed in MAY_IMPORT.items():
        for path in sorted((APPS / app).rglob("*.py")):
            for other in imported_apps(path) - allowed - {app}:
                wrong.append(f"{path.relative_to(settings.BASE_DIR)} imports apps.{other}")
    assert wrong == []
