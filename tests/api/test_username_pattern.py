"""The schema's username pattern means what the server does, in JavaScript as in Python.

OpenAPI patterns are ECMA-262 regular expressions: a generated web or mobile
client checks a name with JavaScript's rules before it sends it. The pattern
must never refuse a name the server accepts, whichever engine reads it.
"""
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml
from django.conf import settings

from apps.core.printable import unprintable
from apps.users.usernames import USERNAME_REGEX
from tests.support.factories import DEFAULT_PASSWORD

NAMES = ["alice", "Zoë_Łukasz-Żółć", "Nguyễn.Văn", "Иван_Петров", "Ελένη", "مريم_الأحمد", "דוד_כהן",
         "李雷_u1", "やまだ山田", "김민준", "ḃ" * 150, "a.b@c+d-e_f", "ǅemal", "ⅻ_roman"]


def schema_pattern() -> str:
    schema = yaml.safe_load((settings.BASE_DIR / "schema.yml").read_text())
    return schema["components"]["schemas"]["RegisterInputRequest"]["properties"]["username"]["pattern"]


def accepted_characters() -> str:
    """Every character the server takes in a username (its own rule and the receipt fonts)."""
    return "".join(chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF
                   and re.match(USERNAME_REGEX, chr(cp)) and not unprintable(chr(cp)))


def javascript_matches(pattern: str, texts: list[str]) -> list[bool]:
    script = ("const [p, texts] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "const r = new RegExp(p); console.log(JSON.stringify(texts.map(t => r.test(t))));")
    result = subprocess.run(["node", "-e", script], input=json.dumps([pattern, texts]),
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def refused_characters() -> str:
    accepted = set(accepted_characters())
    return "".join(chr(cp) for cp in range(0x10000)
                   if not 0xD800 <= cp <= 0xDFFF and chr(cp) not in accepted)


def test_the_pattern_is_exactly_the_accepted_characters_in_python():
    pattern = re.compile(schema_pattern())
    assert [c for c in accepted_characters() if not pattern.match(c)] == []
    assert [c for c in refused_characters() if pattern.match(c)] == []


@pytest.mark.skipif(shutil.which("node") is None and not os.environ.get("CI"),
                    reason="Node.js is not installed")
def test_every_accepted_character_and_name_matches_in_javascript():
    chars = accepted_characters()
    assert len(chars) > 40_000  # Latin, Greek, Cyrillic, Hebrew, Arabic, CJK, Hangul, ...
    texts = [*chars, *NAMES]
    assert [t for t, ok in zip(texts, javascript_matches(schema_pattern(), texts), strict=True)
            if not ok] == []
    refused = [*refused_characters(), "with space", "", "tab\there"]
    assert [t for t, ok in zip(refused, javascript_matches(schema_pattern(), refused), strict=True)
            if ok] == []


@pytest.mark.django_db
@pytest.mark.parametrize("username", NAMES)
def test_the_names_register_and_match_the_pattern(api, username):
    response = api.post("/api/auth/register/", {"username": username, "password": DEFAULT_PASSWORD},
                        format="json")
    assert response.status_code == 201, response.data
    assert re.match(schema_pattern(), username)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e",  # bold "alice"
                                      "\U00010300lice"])  # an Old Italic letter
def test_characters_beyond_the_bmp_are_refused(api, username):
    response = api.post("/api/auth/register/", {"username": username, "password": DEFAULT_PASSWORD},
                        format="json")
    assert response.status_code == 400
    assert response.data["details"]["username"][0]["code"] == "invalid"
