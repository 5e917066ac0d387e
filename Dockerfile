# syntax=docker/dockerfile:1
#
# VisionAlert Router container image.
#
#   docker build -t visionalert-router .
#   docker run --read-only --tmpfs /tmp -p 8080:8080 --env-file router.env \
#     -v "$PWD/config:/etc/visionalert-router:ro" \
#     -v router-data:/data visionalert-router
#
# Mount the folder that holds rules.yaml, not the file: a single-file bind
# mount keeps the old inode when an editor replaces the file, and the router's
# hot reload would never see the change.
#
# The base image is pinned by tag; release builds should additionally pin it by
# digest (python:3.11-slim@sha256:...) so a rebuild is byte-for-byte the same.

# ---------------------------------------------------------------- builder ---
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# A self-contained venv is copied whole into the final stage, so the runtime
# image carries no pip cache, no build backend and no source tree.
RUN python -m venv /opt/venv

WORKDIR /src
COPY pyproject.toml README.md ./
COPY router ./router
# `.` is the project itself (versions come from pyproject.toml); pip builds a
# wheel from it and installs that, non-editable, with the PostgreSQL driver.
RUN /opt/venv/bin/pip install --no-cache-dir ".[postgres]"

# Ship the repository's example rules.yaml when there is one. The glob lets the
# build succeed without it; in Kubernetes a ConfigMap is mounted over the folder.
COPY pyproject.toml rules.yam[l] /src/rules/
RUN mkdir -p /out/rules \
    && if [ -f /src/rules/rules.yaml ]; then cp /src/rules/rules.yaml /out/rules/; fi

# ------------------------------------------------------------------ final ---
FROM python:3.11-slim

LABEL org.opencontainers.image.title="visionalert-router" \
      org.opencontainers.image.description="Route Plate Recognizer VisionAlert webhooks to Slack, Teams, e-mail and SMS through Apprise" \
      org.opencontainers.image.source="https://github.com/visionalert-router/visionalert-router" \
      org.opencontainers.image.licenses="MIT"

# Fixed numeric IDs: Kubernetes runAsNonRoot can only verify a numeric USER,
# and volume ownership (fsGroup) must match across image rebuilds.
# Keep 10001 in step with deploy/base (runAsUser, runAsGroup, fsGroup).
RUN groupadd --system --gid 10001 router \
    && useradd --system --uid 10001 --gid 10001 --home-dir /tmp \
       --no-create-home --shell /usr/sbin/nologin router \
    && mkdir -p /data /etc/visionalert-router \
    && chown 10001:10001 /data

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /out/rules/ /etc/visionalert-router/

# The root filesystem may be read-only: bytecode is precompiled at install
# time and never written at run time; /data (database) and /tmp (gunicorn
# heartbeat files and its control socket in $HOME/.gunicorn, Prometheus
# multiprocess files) are the only writable paths.
# The metrics directory is created (and emptied) by the service at start,
# because an emptyDir or tmpfs mounted on /tmp hides anything baked in here.
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    PROMETHEUS_MULTIPROC_DIR=/tmp/router-metrics \
    ROUTER_HOST=0.0.0.0 \
    ROUTER_PORT=8080 \
    ROUTER_LOG_FORMAT=json \
    ROUTER_RULES_FILE=/etc/visionalert-router/rules.yaml \
    ROUTER_DATABASE_URL=sqlite:////data/router.db

VOLUME ["/data", "/tmp"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080

# python:slim has no curl; urlopen raises (exit 1) on refusal, timeout or non-2xx.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ROUTER_PORT', '8080') + '/healthz', timeout=4)"]

ENTRYPOINT ["visionalert-router"]
# ROUTER_HOST=0.0.0.0 above is the equivalent of `serve --host 0.0.0.0`.
CMD ["serve"]
