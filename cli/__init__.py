"""The `model-endpoints` command line: local runs (`local up/status/down`), `keys` and `get-token`.

Human output goes to stderr (rich); with `--json` a command prints exactly one JSON object on
stdout, so scripts can parse it while people still see progress.
"""
