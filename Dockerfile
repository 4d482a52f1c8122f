# syntax=docker/dockerfile:1
# Scribe's image: build (dependencies + collected static files), runtime (non-root,
# gunicorn: threaded workers for REST by default, uvicorn workers for the ASGI process;
# see gunicorn.conf.py) and test (the suite, used by compose's test-mongo).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
# Development settings only for this build step: collectstatic needs no secrets or database.
RUN DEBUG=true ENV_FILE= python manage.py collectstatic --noinput

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=false \
    PORT=8000
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home scribe
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
USER scribe
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "scribe.healthcheck"]
# Settings (SECRET_KEY, JWT_SECRET_KEY, ALLOWED_HOSTS, MONGODB_URI or DATABASE_URL,
# REDIS_URL, ...) come from the environment; see README "Configuration".
# The REST API. The AI endpoints and the WebSocket run from the same image as
# `gunicorn scribe.asgi:application` with GUNICORN_WORKER_CLASS=scribe.workers.UvicornWorker
# (docker-compose.yml's service asgi; README "Deploying").
CMD ["gunicorn", "scribe.wsgi:application"]

FROM build AS test
COPY requirements-dev.txt ./
RUN pip install -r requirements-dev.txt
ENV DEBUG=true
CMD ["python", "-m", "pytest", "-q"]
