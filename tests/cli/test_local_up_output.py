"""What `local up` prints for a person: the run's URLs and how to get its keys, never the keys."""

from __future__ import annotations

from rich.console import Console

from cli.local_commands import _print_run

PRIMARY, SECONDARY = "primary-key-value-0123456789", "secondary-key-value-9876543210"


def test_the_keys_are_named_by_the_command_that_shows_them_never_printed() -> None:
    document = {
        "stack": "dev",
        "run_dir": "/tmp/run",
        "endpoints": {
            "shop": {
                "traffic": {"va": 100.0},
                "default_version": "va",
                "replicas": {"va": 1},
                "skipped_versions": {},
                "url": "http://127.0.0.1:8080/score",
                "metrics_url": "http://127.0.0.1:8405/metrics",
                "routing_url": "http://127.0.0.1:8405/routing",
                "primary_key": PRIMARY,
                "secondary_key": SECONDARY,
                "token_auth_enabled": False,
            }
        },
    }
    console = Console(record=True, width=200)
    _print_run(console, document)
    text = console.export_text()
    assert PRIMARY not in text and SECONDARY not in text
    assert "model-endpoints keys --stack dev --endpoint shop" in text
    assert "Authorization: Bearer <primary key>" in text
