# afina in a container: the Procfile's processes, set up by the project's own scripts.
#
#   docker build -t afina .
#   docker run --env-file .env -v afina:/data afina afina migrate   # release
#   docker run --env-file .env -v afina:/data -p 3000:3000 afina    # web (afina serve)
#   docker run --env-file .env -v afina:/data afina afina worker    # worker
#
# compose.yaml runs all three against PostgreSQL. The image holds the locked
# dependencies (scripts/bootstrap) and the code; settings come from the environment.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    AFINA_HOME=/data \
    HOST=0.0.0.0 \
    PORT=3000

RUN useradd --create-home --uid 10001 afina \
    && mkdir -p /app /data \
    && chown afina:afina /app /data
USER afina
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY --chown=afina:afina pyproject.toml uv.lock README.md ./
COPY --chown=afina:afina scripts ./scripts
COPY --chown=afina:afina bot ./bot
COPY --chown=afina:afina tuning ./tuning
# Compiles the dependencies and bot/ + tuning/ to bytecode, so no container start compiles
# its imports again (seconds per process otherwise).
RUN scripts/bootstrap

ENV PATH=/app/.venv/bin:$PATH
VOLUME /data
EXPOSE 3000
# SIGTERM stops it gracefully: answers already acknowledged are written (SHUTDOWN_GRACE_S).
STOPSIGNAL SIGTERM
CMD ["afina", "serve"]
