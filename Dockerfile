# The reconciler daemon. Build:  docker build -t reconciler .
# Run (see the README, "Running it in a container"):
#   docker run -v reconciler-state:/var/lib/reconciler -e PADAS_TOKEN_EDGE_1 -p 9400:9400 \
#     reconciler run --repo https://git.example.net/platform/pipelines.git
FROM python:3.11-slim

# git: the daemon fetches, commits its report and pushes with it
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/reconciler
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
COPY schemas ./schemas
COPY example-repo ./example-repo
RUN pip install --no-cache-dir . && rm -rf /opt/reconciler

# the state directory is the daemon's alone (it corrects the mode itself on every start too)
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin reconciler \
    && mkdir -p -m 0700 /var/lib/reconciler \
    && chown reconciler:reconciler /var/lib/reconciler
USER reconciler
WORKDIR /home/reconciler

# Listen on every interface inside the container (publish the port to choose who reaches it);
# the ledger and the daemon's own clone live on the state volume.
ENV RECONCILER_LISTEN=0.0.0.0:9400 \
    RECONCILER_STATE_DIR=/var/lib/reconciler \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/reconciler"]
EXPOSE 9400

# The probe asks /healthz wherever RECONCILER_LISTEN says the daemon listens (a wildcard host
# on loopback), with the daemon's own parser: choose the address with RECONCILER_LISTEN, not
# --listen, and the healthcheck follows it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; from reconciler.shell.config import DEFAULT_LISTEN, local_url; urllib.request.urlopen(local_url(os.environ.get('RECONCILER_LISTEN') or DEFAULT_LISTEN) + '/healthz', timeout=4)"]

ENTRYPOINT ["reconciler"]
CMD ["run", "--help"]
