"""Container logs are rotated where they land (docker-compose.yml, README "Logs and retention")."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_compose_service_rotates_its_json_file_log():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        logging = service.get("logging")
        assert logging is not None, f"{name} has no logging: (add `logging: *default-logging`)"
        assert logging["driver"] == "json-file", name
        assert logging["options"]["max-size"].endswith("m"), name
        assert int(logging["options"]["max-file"]) >= 2, name
