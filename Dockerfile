# The service image: every process type of the Procfile runs from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Installed in place (editable): the service finds its Procfile and migrations beside the code.
COPY pyproject.toml README.md Procfile ./
COPY payout_service ./payout_service
COPY actors ./actors
COPY migrations ./migrations
RUN pip install -e . \
    && useradd --create-home --uid 10001 payouts \
    && mkdir -p /app/var/metrics \
    && chown -R payouts /app/var
USER payouts

# Heroku style: each process reads PORT and the rest of its settings from the environment.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    METRICS_DIR=/app/var/metrics
EXPOSE 8000
CMD ["payout-service", "web"]
