"""Auth changes read as a reviewer needs them: switched on or off, rotated, exposed."""

from __future__ import annotations

from typing import Any

from review.auth_changes import auth_notes
from specification.endpoint import EndpointSpec


def _endpoint(**fields: Any) -> EndpointSpec:
    return EndpointSpec.model_validate(
        {"name": "e", "versions": [{"name": "v1", "image": "registry.example.com/m:1"}], **fields}
    )


def test_a_new_endpoint_states_its_auth_and_warns_when_public_and_open() -> None:
    assert auth_notes(None, _endpoint()) == (
        "API key auth on, token auth off, Service ClusterIP, TLS off",
    )
    open_public = _endpoint(auth_enabled=False, router={"service_type": "LoadBalancer"})
    assert auth_notes(None, open_public)[1] == (
        "public Service (LoadBalancer) without TLS and without auth: anyone who reaches it can score"
    )


def test_switches_rotations_and_exposure_of_a_changed_endpoint() -> None:
    before = _endpoint(token_auth_enabled=True, secondary_key_rotation=1)
    after = _endpoint(
        auth_enabled=False,
        token_auth_enabled=True,
        secondary_key_rotation=2,
        router={"service_type": "NodePort", "allow_plaintext_credentials": True},
    )
    assert auth_notes(before, after) == (
        "secondary API key rotated (clients on the primary key keep working)",
        "API key auth on → off",
        "Service ClusterIP → NodePort",
        "public Service (NodePort) without TLS: credentials cross the network in clear unless TLS "
        "ends in front of the router (router.allow_plaintext_credentials is true)",
    )


def test_nothing_to_say_when_auth_is_untouched() -> None:
    assert auth_notes(_endpoint(description="a"), _endpoint(description="b")) == ()


def test_turning_the_last_credential_off_on_a_public_endpoint_says_anyone_can_score() -> None:
    before = _endpoint(router={"service_type": "LoadBalancer", "tls_secret_name": "t"})
    after = _endpoint(auth_enabled=False, router={"service_type": "LoadBalancer"})
    assert auth_notes(before, after) == (
        "API key auth on → off",
        "TLS removed (tls_secret_name t → unset)",
        "public Service (LoadBalancer) without TLS and without auth: anyone who reaches it can score",
    )
