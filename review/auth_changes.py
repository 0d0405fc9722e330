"""What a change does to who can call an endpoint: key rotations, key or token auth switched,
the Service's exposure and TLS.

A rotation is said as "rotated", never with a key: the config holds only counters, and a review
has no business near the keys themselves.
"""

from __future__ import annotations

from specification.endpoint import EndpointSpec

__all__ = ["auth_notes"]

_ROTATIONS = (
    ("primary_key_rotation", "primary API key rotated (clients on the secondary key keep working)"),
    ("secondary_key_rotation", "secondary API key rotated (clients on the primary key keep working)"),
    (
        "token_signing_key_rotation",
        "token-signing key pair rotated (tokens signed with the old key stop working)",
    ),
)


def _on(value: bool) -> str:
    return "on" if value else "off"


def _exposure(endpoint: EndpointSpec) -> list[str]:
    """The warnings the endpoint's new exposure deserves."""
    router = endpoint.router
    if not router.public or router.tls:
        return []
    where = f"public Service ({router.service_type}) without TLS"
    if not (endpoint.auth_enabled or endpoint.token_auth_enabled):
        return [f"{where} and without auth: anyone who reaches it can score"]
    if router.allow_plaintext_credentials:
        return [
            f"{where}: credentials cross the network in clear unless TLS ends in front of the "
            "router (router.allow_plaintext_credentials is true)"
        ]
    return [f"{where}"]


def auth_notes(before: EndpointSpec | None, after: EndpointSpec) -> tuple[str, ...]:
    """One line per auth change (or, for a new endpoint, per auth fact), then exposure warnings."""
    notes: list[str] = []
    if before is None:
        notes.append(
            f"API key auth {_on(after.auth_enabled)}, token auth {_on(after.token_auth_enabled)}, "
            f"Service {after.router.service_type}, TLS {_on(after.router.tls)}"
        )
        return tuple(notes + _exposure(after))
    for field, message in _ROTATIONS:
        old, new = getattr(before, field), getattr(after, field)
        if new > old:  # lowered: a preview error, listed with the others
            notes.append(message)
    if before.auth_enabled != after.auth_enabled:
        notes.append(f"API key auth {_on(before.auth_enabled)} → {_on(after.auth_enabled)}")
    if before.token_auth_enabled != after.token_auth_enabled:
        notes.append(f"token auth {_on(before.token_auth_enabled)} → {_on(after.token_auth_enabled)}")
    if before.router.service_type != after.router.service_type:
        notes.append(f"Service {before.router.service_type} → {after.router.service_type}")
    if before.router.tls and not after.router.tls:
        notes.append(f"TLS removed (tls_secret_name {before.router.tls_secret_name} → unset)")
    elif after.router.tls and not before.router.tls:
        notes.append(f"TLS added (tls_secret_name {after.router.tls_secret_name})")
    if notes or before.router != after.router or before.auth_enabled != after.auth_enabled:
        notes += _exposure(after)
    return tuple(notes)
