"""The container files are valid and say what the README promises (no Docker daemon needed)."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from scribe.testing.processes import BASE_DIR, run


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (BASE_DIR / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load((BASE_DIR / ".github/workflows/ci.yml").read_text())


def stages(dockerfile: str) -> dict[str, str]:
    """Stage name -> its instructions."""
    parts = re.split(r"^FROM\s+", dockerfile, flags=re.M)[1:]
    return {part.split("\n")[0].split(" AS ")[-1].strip(): "FROM " + part for part in parts}


def test_it_builds_a_multi_stage_slim_image(dockerfile):
    found = stages(dockerfile)
    assert {"build", "runtime", "test"} <= set(found)
    assert found["build"].startswith("FROM python:3.11-slim AS build")
    assert found["runtime"].startswith("FROM python:3.11-slim AS runtime")
    assert "COPY --from=build /opt/venv /opt/venv" in found["runtime"]
    assert "requirements-dev" not in found["runtime"]  # no test tools in production


def test_it_runs_as_a_non_root_user_with_gunicorn(dockerfile):
    runtime = stages(dockerfile)["runtime"]
    users = re.findall(r"^USER\s+(\S+)", runtime, flags=re.M)
    assert users
    assert users[-1] not in {"root", "0"}
    assert 'CMD ["gunicorn", "scribe.wsgi:application"]' in runtime  # REST; compose's asgi runs the rest


def test_it_collects_static_files_at_build(dockerfile):
    assert "manage.py collectstatic --noinput" in stages(dockerfile)["build"]


def test_it_checks_health_with_python_not_curl(dockerfile):
    runtime = stages(dockerfile)["runtime"]
    (healthcheck,) = re.findall(r"^HEALTHCHECK .*?CMD (\[.*?\])", runtime, flags=re.M | re.S)
    assert yaml.safe_load(healthcheck) == ["python", "-m", "scribe.healthcheck"]
    assert "curl" not in runtime


def gunicorn_config(app: str, **env: str) -> dict[str, str]:
    done = run(["-m", "gunicorn", "--check-config", "--print-config", app], DEBUG="true", **env)
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in (ln.replace(" ", "") for ln in done.stdout.splitlines()) if "=" in line)


def test_it_configures_gunicorn_with_threaded_workers():
    config = gunicorn_config("scribe.wsgi:application")
    assert config["worker_class"] == "gthread"
    assert int(config["threads"]) > 1
    assert config["accesslog"] == "None"  # Scribe writes the access line itself


def test_it_configures_the_asgi_process_with_uvicorn_workers():
    config = gunicorn_config("scribe.asgi:application", GUNICORN_WORKER_CLASS="scribe.workers.UvicornWorker")
    assert config["worker_class"] == "scribe.workers.UvicornWorker"
    assert int(config["workers"]) >= 2
    # Longer than the AI request budget: Scribe answers 504 before the worker is killed.
    assert int(config["timeout"]) > 150
    assert config["accesslog"] == "None"


def test_it_gives_database_connections_back_in_the_asgi_process():
    # Gunicorn imports the worker class before the application: settings.py reads the result.
    code = (
        "import os, sys\n"
        "if sys.argv[1:]: import scribe.workers\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'scribe.settings'\n"
        "from django.conf import settings\n"
        "print(settings.DATABASES['default'].get('CONN_MAX_AGE'))\n"
    )
    pg = {"DEBUG": "true", "DATABASE_URL": "postgres://scribe@127.0.0.1:5432/scribe"}
    asgi = run(["-c", code, "asgi"], **pg)
    rest = run(["-c", code], **pg)
    chosen = run(["-c", code, "asgi"], DB_CONN_MAX_AGE="5", **pg)
    assert (asgi.stdout.strip(), rest.stdout.strip(), chosen.stdout.strip()) == ("0", "60", "5"), asgi.stderr


def test_it_leaves_client_addresses_and_lifespan_to_scribe():
    # In a child: importing the worker sets DB_CONN_MAX_AGE for the process that imports it.
    code = "from scribe.workers import UvicornWorker as W; print(W.CONFIG_KWARGS['proxy_headers'], W.CONFIG_KWARGS['lifespan'])"
    done = run(["-c", code])
    assert done.returncode == 0, done.stderr
    # Scribe works out the client address itself (TRUSTED_PROXY_COUNT); Django has no lifespan.
    assert done.stdout.split() == ["False", "off"]


def test_it_serves_the_images_command_over_asgi(tmp_path):
    """The asgi service's command, for real: gunicorn with the uvicorn worker answers /health."""
    import subprocess
    import sys
    import time

    import httpx

    from scribe.testing.processes import child_env

    log = tmp_path / "gunicorn.log"
    env = child_env(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        WEB_CONCURRENCY="1",
        GUNICORN_WORKER_CLASS="scribe.workers.UvicornWorker",
    )
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "scribe.asgi:application", "--bind", "127.0.0.1:0"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline and server.poll() is None:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
            url = found.group(1) if found else time.sleep(0.2)
        assert url, log.read_text()
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{url}/health", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, log.read_text()
        assert response.status_code == 200
        assert "Using worker: scribe.workers.UvicornWorker" in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_it_composes_the_api_with_mongodb_and_redis(compose):
    services = compose["services"]
    assert {"api", "mongodb", "redis", "test-mongo"} <= set(services)
    api = services["api"]
    assert api["build"]["target"] == "runtime"
    assert api["environment"]["MONGODB_URI"].startswith("mongodb://mongodb:27017/")
    assert api["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert api["environment"]["DEBUG"] == "false"
    assert set(api["depends_on"]) == {"mongodb", "redis"}
    assert "gunicorn scribe.wsgi:application" in " ".join(api["command"])


def test_it_runs_the_ai_and_the_socket_in_an_asgi_process_of_the_same_image(compose):
    services = compose["services"]
    api, asgi = services["api"], services["asgi"]
    assert asgi["build"] == api["build"]
    assert asgi["command"] == ["gunicorn", "scribe.asgi:application"]
    assert asgi["environment"]["GUNICORN_WORKER_CLASS"] == "scribe.workers.UvicornWorker"
    # The same settings as the REST process (one anchor), the worker class aside.
    assert {k: v for k, v in asgi["environment"].items() if k != "GUNICORN_WORKER_CLASS"} == api["environment"]
    assert "ports" not in asgi


def test_it_puts_the_api_behind_the_nginx_proxy(compose):
    services = compose["services"]
    proxy, api = services["proxy"], services["api"]
    assert proxy["image"].startswith("nginx:")
    config, target, mode = proxy["volumes"][0].split(":")
    assert (config, mode) == ("./deploy/nginx/scribe.conf", "ro")
    assert (BASE_DIR / config).is_file()
    assert target.startswith("/etc/nginx/conf.d/")
    assert proxy["ports"] == ["8000:80"]
    assert {"api", "asgi"} <= set(proxy["depends_on"])
    # The API is reached only through the proxy, whose X-Forwarded-For it trusts.
    assert "ports" not in api
    assert api["environment"]["TRUSTED_PROXY_COUNT"].startswith("${TRUSTED_PROXY_COUNT:-1}")
    site = (BASE_DIR / config).read_text()
    assert "server api:8000;" in site
    assert "server asgi:8000;" in site


def test_it_runs_the_suite_against_the_composed_mongodb(compose):
    tests = compose["services"]["test-mongo"]
    assert tests["build"]["target"] == "test"
    assert tests["environment"]["MONGODB_URI"].startswith("mongodb://mongodb:27017/")
    assert tests["command"][:3] == ["python", "-m", "pytest"]
    assert "mongodb" in tests["depends_on"]
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "docker compose -f docker-compose.yml run --rm --build test-mongo" in makefile


def job_env_and_services(job: dict) -> tuple[dict, dict]:
    return job.get("env", {}), job.get("services", {})


def test_it_runs_ci_on_sqlite_postgres_redis_and_mongodb(workflow):
    jobs = workflow["jobs"]
    engines = {}
    for name, job in jobs.items():
        commands = [step.get("run", "") for step in job["steps"]]
        if "make test" not in commands:
            continue
        env, services = job_env_and_services(job)
        engines[name] = (env, services)
        python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
        assert python["with"]["python-version"] == "3.11"
    by_kind = {
        "sqlite": [n for n, (env, _) in engines.items() if not env],
        "postgres": [
            n
            for n, (env, svc) in engines.items()
            if env.get("DATABASE_URL", "").startswith("postgres://") and "postgres" in svc and "redis" in svc
        ],
        "mongodb": [
            n
            for n, (env, svc) in engines.items()
            if env.get("MONGODB_URI", "").startswith("mongodb://") and "mongodb" in svc
        ],
    }
    assert all(by_kind.values()), by_kind
    for job_name in by_kind["postgres"] + by_kind["mongodb"]:
        for service in jobs[job_name]["services"].values():
            assert service["ports"], job_name  # reachable on 127.0.0.1 from the runner
            assert "--health-cmd" in service["options"]


def test_it_runs_commands_that_exist(workflow):
    makefile = (BASE_DIR / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            words = shlex.split(step.get("run", ""))
            if words[:1] == ["make"]:
                assert words[1] in targets, step["run"]


def test_it_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "db.sqlite3*", "staticfiles"} <= ignored
