# provgraph API image.
#   docker build -t provgraph-api .
#   docker run --rm -p 127.0.0.1:8000:8000 -e NEO4J_URI=neo4j://HOST:7687 \
#       -e NEO4J_USER=neo4j -e NEO4J_PASSWORD=... provgraph-api
# Usually started through docker-compose.yml, next to a Neo4j container.

# ---- build: install the project into /install (no sources, no pip cache in the final image)
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .
RUN pip install --prefix=/install .

# ---- runtime
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Same interpreter path as the build stage, so the console scripts' shebangs stay valid.
COPY --from=build /install /usr/local

RUN groupadd --system --gid 10001 provgraph \
    && useradd --system --uid 10001 --gid provgraph --create-home --home-dir /home/provgraph \
        --shell /usr/sbin/nologin provgraph

# numeric, so runtimes that enforce runAsNonRoot can verify it
USER 10001:10001
WORKDIR /home/provgraph
ENV HOME=/home/provgraph

EXPOSE 8000

# slim has no curl or wget: probe with the standard library. urlopen raises on any non-2xx.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# 0.0.0.0 inside the container; publish the port on the host's loopback only
# (docker-compose.yml does: 127.0.0.1:8000:8000).
CMD ["provgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
