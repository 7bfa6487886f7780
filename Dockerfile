# syntax=docker/dockerfile:1
# incubator: one image for web, worker and init-db (compose.yaml runs it three ways).
#   docker build -t incubator .        (or: podman build -t incubator .)
# Debian 12 slim in both stages, so that the virtualenv built in the first one runs as is in
# the second; the second has no compiler, only what the app needs at run time.

# ---------------------------------------------------------------- build: the wheel, then a venv
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/build && /opt/build/bin/pip install --no-cache-dir build
WORKDIR /src
COPY . .
# sdist, then the wheel from it: templates, static files, migrations and the compiled
# Vietnamese catalog inside (setup.py); no .mo comes from the build context (.dockerignore)
RUN /opt/build/bin/python -m build --outdir /dist .
RUN python3 -m venv /opt/incubator \
 && /opt/incubator/bin/pip install --no-cache-dir /dist/*.whl

# ---------------------------------------------------------------- runtime
FROM debian:bookworm-slim
# WeasyPrint's libraries (Pango, HarfBuzz), a fallback font (the PDFs embed their own
# vendored Be Vietnam Pro), pg_dump for `flask backup` (bookworm's 15: the compose file runs
# PostgreSQL 15, and pg_dump must not be older than the server), tini as PID 1
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
      fonts-dejavu-core postgresql-client tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/incubator /opt/incubator
RUN useradd --system --uid 10001 --home-dir /var/lib/incubator --create-home incubator
WORKDIR /app
COPY deploy/gunicorn.conf.py deploy/gunicorn.conf.py
ENV PATH=/opt/incubator/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    INCUBATOR_INSTANCE=/var/lib/incubator \
    FLASK_APP=incubator
USER incubator
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "incubator:create_app()"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz?live', timeout=4)"]
