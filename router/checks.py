"""Fail-closed checks on the files a rendered router reads, which `haproxy -c` does not make.

`haproxy -c` accepts a config whose `jwt_verify` key file does not exist; at run time every token
is then rejected (jwt_verify returns -5). That fails closed but silently, so a deploy must catch it
before the router starts: this module reads the filesystem (the renderer itself never does).
"""

from __future__ import annotations

import os
import re

from router.model import RouterConfig

__all__ = ["RouterFileError", "referenced_files", "check_required_files"]

_JWT_KEY = re.compile(r'jwt_verify\("[A-Z0-9]+","([^"]+)"\)')
_CRT = re.compile(r"\bcrt\s+(\S+)")


class RouterFileError(ValueError):
    """A file the router config refers to is missing, empty or of the wrong kind."""


def referenced_files(config: RouterConfig) -> dict[str, str]:
    """`{path: kind}` of every key/certificate/map file `config` reads (kind: jwt-key, tls, map)."""
    files: dict[str, str] = {}
    for path in _JWT_KEY.findall(config.haproxy_cfg):
        files[path] = "jwt-key"
    for path in _CRT.findall(config.haproxy_cfg):
        files[path] = "tls"
    for path in config.required_files:
        files.setdefault(path, "jwt-key" if path not in files else files[path])
    for name in config.map_files:
        files[config.map_path(name)] = "map"
    files[config.split_map_path] = "map"  # in the routing directory, written apart
    return files


def _read(path: str) -> str:
    if not os.path.isfile(path):
        raise RouterFileError(f"router file {path} is missing")
    with open(path, encoding="ascii", errors="replace") as handle:
        text = handle.read()
    if not text.strip():
        raise RouterFileError(f"router file {path} is empty")
    return text


def check_required_files(config: RouterConfig) -> None:
    """Raise RouterFileError unless every referenced file exists and holds what it should.

    JWT key: a PEM public key or certificate and no private key (the router must not hold one).
    TLS: a PEM with a certificate and its private key (HAProxy's `crt` format). Map files: present.
    """
    for path, kind in referenced_files(config).items():
        if kind == "map":
            if not os.path.isfile(path):
                raise RouterFileError(f"router map file {path} is missing")
            continue
        text = _read(path)
        if kind == "jwt-key":
            if "PRIVATE KEY-----" in text:
                raise RouterFileError(
                    f"JWT key file {path} holds a private key; give the public key"
                )
            if (
                "-----BEGIN PUBLIC KEY-----" not in text
                and "-----BEGIN CERTIFICATE-----" not in text
            ):
                raise RouterFileError(f"JWT key file {path} holds no PEM public key or certificate")
        elif kind == "tls":
            if "-----BEGIN CERTIFICATE-----" not in text or "PRIVATE KEY-----" not in text:
                raise RouterFileError(
                    f"TLS file {path} must hold the PEM certificate chain and its private key"
                )
