"""The Kubernetes manifests in deploy/kubernetes agree with the program they run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings, load_settings

KUBE = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
TELEGRAM_MESSAGES_PER_SECOND = 30


def _documents(name: str) -> list[dict[str, Any]]:
    with (KUBE / name).open() as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def _one(kind: str, name: str) -> dict[str, Any]:
    found = [
        doc
        for path in sorted(KUBE.glob("*.yaml"))
        for doc in _documents(path.name)
        if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _environment() -> dict[str, str]:
    config = _one("ConfigMap", "doorstep-config")["data"]
    secret = _one("Secret", "doorstep-secrets")["stringData"]
    return {**config, **secret}


def test_kustomization_lists_every_manifest_but_the_secret() -> None:
    listed = set(_documents("kustomization.yaml")[0]["resources"])
    present = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present - {"secret.example.yaml"}


def test_every_variable_is_a_setting_and_the_settings_load() -> None:
    environment = _environment()
    known = {name.upper() for name in Settings.model_fields}
    assert set(environment) <= known, set(environment) - known
    settings = load_settings(**{key.lower(): value for key, value in environment.items()})
    assert settings.webhook_url and settings.webhook_secret
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.web_https and settings.web_trusted_proxies


def test_replicas_share_telegrams_rate_and_use_the_webhook() -> None:
    deployment = _one("Deployment", "doorstep")
    replicas = deployment["spec"]["replicas"]
    assert replicas >= 2
    settings = load_settings(**{k.lower(): v for k, v in _environment().items()})
    # One budget for the bot, shared by the replicas through PostgreSQL.
    assert settings.delivery_rate <= TELEGRAM_MESSAGES_PER_SECOND
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port = container["ports"][0]["containerPort"]
    assert port == settings.web_port
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
    assert sources == {"doorstep-config", "doorstep-secrets"}


def test_the_ingress_never_passes_on_health_or_metrics() -> None:
    ingress = _one("Ingress", "doorstep")
    paths = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert paths["/"] == "doorstep"
    blocked = _one("Service", "doorstep-internal-only")
    pods = _one("Deployment", "doorstep")["spec"]["template"]["metadata"]["labels"]
    assert not set(blocked["spec"]["selector"].items()) <= set(pods.items())
    assert paths["/healthz"] == paths["/metrics"] == "doorstep-internal-only"
