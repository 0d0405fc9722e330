"""Cluster credentials as the Kubernetes provider takes them, reaching a fake API server: the
kubeconfig as a path, as text, from $KUBECONFIG or ~/.kube/config; a chosen context; bearer
tokens, exec credential plugins (also refreshed on expiry) and client certificates over TLS."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kube_adapter import (
    ClusterAdapter,
    ClusterCredentials,
    KubeconfigError,
    NotFoundError,
    UnauthorizedError,
    UnreachableError,
)
from tests.kube_adapter.fake_api_server import FakeApiServer, running_api_server
from tests.kube_adapter.kubeconfigs import exec_plugin, kubeconfig, pem_data, write_kubeconfig
from tests.kube_adapter.tls_certificates import CertificateAuthority
from tests.ports import free_port


def probe(credentials: ClusterCredentials) -> None:
    """One call; the fake server has no ConfigMaps, so reaching it means NotFoundError."""
    with pytest.raises(NotFoundError):
        ClusterAdapter(credentials, timeout_seconds=5).read_config_map("default", "probe")


@pytest.fixture
def token_server() -> Iterator[FakeApiServer]:
    with running_api_server(FakeApiServer(token="s3cr3t-token")) as server:
        yield server


def test_a_bearer_token_is_sent(token_server: FakeApiServer, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "config", kubeconfig(token_server.url, {"token": "s3cr3t-token"}))
    probe(ClusterCredentials(kubeconfig=str(path)))
    assert token_server.requests[0].headers["authorization"] == "Bearer s3cr3t-token"


def test_a_rejected_token_says_so_and_never_shows_it(token_server: FakeApiServer, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "config", kubeconfig(token_server.url, {"token": "old-token"}))
    with pytest.raises(UnauthorizedError) as raised:
        ClusterAdapter(ClusterCredentials(kubeconfig=str(path))).read_config_map("default", "probe")
    message = str(raised.value)
    where = f"API server {token_server.url}, context 'test' of {path}"
    assert f"rejected the credentials of {where} (401 Unauthorized)" in message
    assert "old-token" not in message


def test_an_exec_credential_plugin_is_run_for_the_token(token_server: FakeApiServer, tmp_path: Path) -> None:
    user = exec_plugin(tmp_path, "s3cr3t-token")
    path = write_kubeconfig(tmp_path / "config", kubeconfig(token_server.url, user))

    probe(ClusterCredentials(kubeconfig=str(path)))

    assert token_server.requests[0].headers["authorization"] == "Bearer s3cr3t-token"
    (run,) = (tmp_path / "runs.log").read_text().splitlines()
    exec_info = json.loads(run)  # what the plugin was given, as kubectl gives it
    assert (exec_info["kind"], exec_info["apiVersion"]) == ("ExecCredential", "client.authentication.k8s.io/v1")


def test_an_expired_exec_credential_is_fetched_again_before_a_call(api_server: FakeApiServer, tmp_path: Path) -> None:
    """A shift's bakes can outlast a token (EKS tokens live 15 minutes)."""
    user = exec_plugin(tmp_path, "exec-token", expired=True)
    path = write_kubeconfig(tmp_path / "config", kubeconfig(api_server.url, user))
    adapter = ClusterAdapter(ClusterCredentials(kubeconfig=str(path)))
    for _ in range(2):
        with pytest.raises(NotFoundError):
            adapter.read_config_map("default", "probe")
    assert [r.headers["authorization"] for r in api_server.requests] == ["Bearer exec-token-2", "Bearer exec-token-3"]


def test_a_failing_exec_plugin_is_reported_with_its_message(api_server: FakeApiServer, tmp_path: Path) -> None:
    user = exec_plugin(tmp_path, "unused", fail_with="error: SSO session expired, run aws sso login")
    path = write_kubeconfig(tmp_path / "config", kubeconfig(api_server.url, user))
    with pytest.raises(KubeconfigError) as raised:
        ClusterAdapter(ClusterCredentials(kubeconfig=str(path))).read_config_map("default", "probe")
    assert str(raised.value).startswith(f"cannot use kubeconfig {path} (context current): exec: process returned 1")
    assert "SSO session expired, run aws sso login" in str(raised.value)
    assert api_server.requests == []


def test_a_plugin_failing_on_refresh_is_named_not_just_the_401(token_server: FakeApiServer, tmp_path: Path) -> None:
    user = exec_plugin(tmp_path, "stale-token", expired=True, fail_with="error: token refresh denied", fail_from_run=2)
    path = write_kubeconfig(tmp_path / "config", kubeconfig(token_server.url, user))
    with pytest.raises(KubeconfigError) as raised:
        ClusterAdapter(ClusterCredentials(kubeconfig=str(path))).read_config_map("default", "probe")
    message = str(raised.value)
    where = f"API server {token_server.url}, context 'test' of {path}"
    assert message.startswith(f"cannot refresh the credentials of {where}")
    assert "exec: process returned 1. error: token refresh denied" in message
    assert "401 Unauthorized" in message


def test_client_certificates_over_tls_with_the_clusters_certificate_authority(tmp_path: Path) -> None:
    authority = CertificateAuthority()
    server_cert = authority.issue("kube-apiserver", server=True)
    client_cert = authority.issue("ci-deployer", server=False)
    (tmp_path / "server.pem").write_bytes(server_cert.certificate_pem + server_cert.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    context.load_verify_locations(cadata=authority.certificate_pem.decode())
    context.verify_mode = ssl.CERT_REQUIRED
    user = {
        "client-certificate-data": pem_data(client_cert.certificate_pem),
        "client-key-data": pem_data(client_cert.key_pem),
    }

    with running_api_server(FakeApiServer(tls=context)) as server:
        trusted = {"certificate-authority-data": pem_data(authority.certificate_pem)}
        config = kubeconfig(server.url, user, cluster=trusted)
        probe(ClusterCredentials(kubeconfig=yaml.safe_dump(config)))
        assert server.requests[0].client_certificate_cn == "ci-deployer"

        # a kubeconfig trusting another authority does not talk to this server
        other = {"certificate-authority-data": pem_data(CertificateAuthority("other-ca").certificate_pem)}
        untrusting = ClusterCredentials(kubeconfig=yaml.safe_dump(kubeconfig(server.url, user, cluster=other)))
        with pytest.raises(UnreachableError, match=r"TLS failed \(CERTIFICATE_VERIFY_FAILED\)"):
            ClusterAdapter(untrusting).read_config_map("default", "probe")
        assert len(server.requests) == 1


def test_kubeconfig_text_as_the_provider_takes_it(api_server: FakeApiServer) -> None:
    text = yaml.safe_dump(kubeconfig(api_server.url, {"token": "text-token"}))
    credentials = ClusterCredentials(kubeconfig=text)
    probe(credentials)
    assert api_server.requests[0].headers["authorization"] == "Bearer text-token"
    assert "text-token" not in repr(credentials)
    assert repr(credentials) == "ClusterCredentials(kubeconfig='the kubeconfig text', context=None)"


def test_a_context_other_than_the_current_one(api_server: FakeApiServer, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    config = kubeconfig(dead, context="dead", others={"live": api_server.url})
    path = write_kubeconfig(tmp_path / "config", config)

    probe(ClusterCredentials(kubeconfig=str(path), context="live"))
    with pytest.raises(UnreachableError, match=f"API server {dead}, context 'dead'"):
        ClusterAdapter(ClusterCredentials(kubeconfig=str(path))).read_config_map("default", "probe")
    with pytest.raises(KubeconfigError, match=f"cannot use kubeconfig {path} \\(context staging\\):.*staging"):
        ClusterAdapter(ClusterCredentials(kubeconfig=str(path), context="staging")).read_config_map("default", "probe")


def test_the_default_is_kubeconfig_env_then_home(
    api_server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    missing = r"kubeconfig ~/.kube/config .*no kubeconfig file there; set kubernetes:kubeconfig or KUBECONFIG"
    with pytest.raises(KubeconfigError, match=missing):
        ClusterAdapter().read_config_map("default", "probe")

    write_kubeconfig(home / ".kube" / "config", kubeconfig(api_server.url, {"token": "home"}))
    probe(ClusterCredentials())

    # $KUBECONFIG wins, and may list several files (missing ones skipped, as kubectl does)
    env_config = write_kubeconfig(tmp_path / "env-config", kubeconfig(api_server.url, {"token": "env"}))
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{env_config}")
    probe(ClusterCredentials())
    assert [r.headers["authorization"] for r in api_server.requests] == ["Bearer home", "Bearer env"]


def test_a_path_with_a_tilde_is_a_path(
    api_server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write_kubeconfig(tmp_path / "clusters" / "prod.yaml", kubeconfig(api_server.url))
    probe(ClusterCredentials(kubeconfig="~/clusters/prod.yaml"))


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "/etc/no/such/kubeconfig",
            "kubeconfig '/etc/no/such/kubeconfig' is no existing file, "
            "and as kubeconfig text it is not a kubeconfig mapping",
        ),
        ("apiVersion: v1\nclusters: [\n", "the kubeconfig text is not valid YAML"),
        ('{"users": [{"user": {"token": "s3cr3t"}}]', "the kubeconfig text is not valid YAML"),
    ],
)
def test_a_kubeconfig_that_is_neither_a_file_nor_text_is_named(value: str, message: str) -> None:
    """A path that does not exist is named; text is not echoed (it may hold a token)."""
    with pytest.raises(KubeconfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        ClusterAdapter(ClusterCredentials(kubeconfig=value)).read_config_map("default", "probe")
    assert "s3cr3t" not in str(raised.value)
