"""The checks of scripts/check-deploy.sh (run it, not this file: it brings the tools)."""

import pathlib
import subprocess
import sys
import tempfile

import helm_python as helm
import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHART = ROOT / "deploy" / "kubernetes" / "aegis"
COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
KUBERNETES = "1.30.0"
# Kinds of the Prometheus Operator: no schema ships with Kubernetes; checked by hand below.
CUSTOM = {("monitoring.coreos.com/v1", "ServiceMonitor")}

SECRETS = {
    "secret": {
        "databaseUrl": "postgres://aegis:pw@postgres:5432/aegis",
        "secretKey": "0" * 64,
        "s3AccessKey": "aegis",
        "s3SecretKey": "s3-secret",
    }
}
EVERYTHING = {
    **SECRETS,
    "secret": {**SECRETS["secret"], "adminPassword": "Admin#Pass-2026", "metricsToken": "t"},
    "ingress": {"enabled": True, "className": "nginx", "tlsSecretName": "aegis-tls",
                "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}},
    "networkPolicy": {"enabled": True},
    "serviceMonitor": {"enabled": True},
    "imagePullSecrets": [{"name": "registry"}],
    "config": {"extra": {"AEGIS_REPORT_COMPANY": "Example Corp"}},
}

failures: list[str] = []


def fail(message: str) -> None:
    failures.append(message)
    print(f"FAIL {message}")


def yamllint(paths: list[pathlib.Path]) -> None:
    config = "{extends: default, rules: {line-length: {max: 160}, document-start: disable, comments: {min-spaces-from-content: 1}, truthy: {check-keys: false}, indentation: {indent-sequences: whatever}, braces: {max-spaces-inside: 1}}}"
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "-f", "parsable", "-d", config, *map(str, paths)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        fail(f"yamllint:\n{result.stdout}{result.stderr}")


def render(values: dict) -> dict[str, str]:
    with helm.Chart.load(str(CHART)) as chart:
        return chart.render(values, name="aegis", namespace="aegis", is_install=True)


def documents(manifests: dict[str, str]) -> list[tuple[str, dict]]:
    found = []
    for path, text in sorted(manifests.items()):
        if not path.endswith((".yaml", ".yml")) or not text.strip():
            continue
        for document in yaml.safe_load_all(text):
            if document:
                found.append((path, document))
    return found


def validate(label: str, values: dict, expected_kinds: set[str]) -> None:
    manifests = render(values)
    with tempfile.TemporaryDirectory() as folder:
        rendered = []
        for index, (path, text) in enumerate(sorted(manifests.items())):
            if path.endswith((".yaml", ".yml")) and text.strip():
                file = pathlib.Path(folder) / f"{index:02}-{pathlib.Path(path).name}"
                file.write_text(text)
                rendered.append(file)
        yamllint(rendered)
    kinds = set()
    for path, document in documents(manifests):
        kind = document.get("kind")
        kinds.add(kind)
        if (document.get("apiVersion"), kind) in CUSTOM:
            endpoint = document["spec"]["endpoints"][0]
            if endpoint.get("path") != "/metrics" or "selector" not in document["spec"]:
                fail(f"{label}: {path}: the ServiceMonitor does not scrape /metrics")
            continue
        try:
            kubernetes_validate.validate(document, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            fail(f"{label}: {path}: {kind}: {error.message} at {list(error.path)}")
    missing = expected_kinds - kinds
    if missing:
        fail(f"{label}: the chart rendered no {', '.join(sorted(missing))}")
    print(f"ok   chart ({label}): {len(documents(manifests))} manifests valid for Kubernetes {KUBERNETES}: {', '.join(sorted(kinds))}")


def chart_refuses_missing_secrets() -> None:
    try:
        render({})
    except helm.HelmError as error:  # type: ignore[attr-defined]
        if "secret.databaseUrl is required" not in str(error):
            fail(f"chart without secrets: unexpected error {error}")
        else:
            print("ok   chart without secrets: refused, naming secret.databaseUrl")
        return
    fail("chart without secrets: rendered anyway")


def compose() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}) or {}:
            if dependency not in services:
                fail(f"compose: {name} depends on unknown service {dependency}")
        if service.get("image", "").startswith("${AEGIS_IMAGE"):
            if not service.get("read_only"):
                fail(f"compose: {name} runs Aegis with a writable root filesystem")
            if service["environment"].get("AEGIS_PROFILE") != "production":
                fail(f"compose: {name} is not on the production profile")
    api = [n for n, s in services.items() if s.get("command") == ["serve"]]
    workers = [n for n, s in services.items() if s.get("command") == ["worker"]]
    if len(api) != 2 or len(workers) != 2:
        fail(f"compose: expected two API instances and two workers, found {api} and {workers}")
    for name in api:
        if services[name]["environment"].get("AEGIS_JOBS_IN_PROCESS") != "false":
            fail(f"compose: {name} also runs jobs")
    env_example = (COMPOSE.parent / ".env.example").read_text()
    for variable in ("AEGIS_SECRET_KEY", "POSTGRES_PASSWORD", "S3_SECRET_KEY", "AEGIS_ADMIN_PASSWORD"):
        if f"{variable}=" not in env_example:
            fail(f"compose: .env.example does not name {variable}")
    print(f"ok   compose: {len(services)} services, API {api}, workers {workers}")


def main() -> int:
    yaml_files = [COMPOSE, CHART / "Chart.yaml", CHART / "values.yaml"]
    yamllint(yaml_files)
    compose()
    chart_refuses_missing_secrets()
    validate("defaults", SECRETS, {"Deployment", "Service", "ConfigMap", "Secret", "Job",
                                   "HorizontalPodAutoscaler", "PodDisruptionBudget"})
    validate("every option on", EVERYTHING, {"Ingress", "NetworkPolicy", "ServiceMonitor"})
    if failures:
        print(f"{len(failures)} deployment check(s) failed")
        return 1
    print("deployment artifacts: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
