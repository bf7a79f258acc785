# One image for every role: `serve` (API + webhooks), `worker`, and one-off `db upgrade` / `shop load`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# dependencies first, so a code change does not reinstall them
COPY pyproject.toml README.md ./
RUN mkdir -p bot tasks webhooks && touch bot/__init__.py tasks/__init__.py webhooks/__init__.py \
    && pip install . && pip uninstall -y barberbot

COPY bot ./bot
COPY tasks ./tasks
COPY webhooks ./webhooks
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 barberbot \
    && mkdir -p /app/var && chown barberbot /app/var

USER barberbot
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)" || exit 1

ENTRYPOINT ["barberbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
