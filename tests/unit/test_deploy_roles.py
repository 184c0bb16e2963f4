"""The owner role (``DATABASE_MIGRATE_URL``) reaches the release step alone, in every way of
deploying (deploy/README.md, "Database roles"): web, worker and beat connect as the app's role,
which owns nothing and so can neither change nor empty the audit tables."""

from __future__ import annotations

from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_compose_gives_the_owner_role_to_the_release_service_alone():
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    files = {name: service.get("env_file", []) for name, service in services.items()}
    files = {name: [f] if isinstance(f, str) else f for name, f in files.items()}
    assert "tre-migrate.env" in files["release"]
    assert [name for name, f in files.items() if "tre-migrate.env" in f] == ["release"]


def test_kubernetes_mounts_the_owner_secret_in_the_release_job_alone():
    def secrets(path: Path) -> set[str]:
        names = set()
        for document in yaml.safe_load_all(path.read_text()):
            template = document.get("spec", {}).get("template")
            if template is None:  # a Service or an autoscaler beside the workload
                continue
            for container in template["spec"]["containers"]:
                for source in container.get("envFrom", []):
                    if "secretRef" in source:
                        names.add(source["secretRef"]["name"])
        return names

    assert "tre-migrate" in secrets(DEPLOY / "k8s" / "release-job.yaml")
    for name in ("web", "worker", "beat"):
        assert "tre-migrate" not in secrets(DEPLOY / "k8s" / f"{name}.yaml"), name
    example = list(yaml.safe_load_all((DEPLOY / "k8s" / "secret.example.yaml").read_text()))
    owner = next(d for d in example if d["metadata"]["name"] == "tre-migrate")
    assert "DATABASE_MIGRATE_URL" in owner["stringData"]
    app = next(d for d in example if d["metadata"]["name"] == "tre-secrets")
    assert "DATABASE_MIGRATE_URL" not in app["stringData"]


def test_the_app_environment_example_leaves_the_owner_role_out():
    lines = (DEPLOY / "tre.env.example").read_text().splitlines()
    assert not [line for line in lines if line.startswith("DATABASE_MIGRATE_URL=")]
