"""Files that run next to Azure ML's inference server (`azmlinfsrv`), not in this project's process.

`scoring.collect` is the entry script that records model data around a user's scoring script;
`scoring.serve_local` starts `azmlinfsrv` bound to loopback only. Both are standalone (standard
library plus, for the launcher, the server itself): they run inside a version's own virtualenv and
inside cluster pods, where this project is not installed, so they are used by file path.
"""
