# PipelineCRM image: web (gunicorn), worker and beat (celery) all run from it; see
# docker-compose.yml. Dependencies come from uv.lock exactly (--frozen), without dev tools.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:$PATH"

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, so code changes reuse this layer.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-cache

COPY . .

# The key only lets settings load for this step; the running app gets SECRET_KEY from its
# environment and refuses to start without one.
RUN SECRET_KEY=collectstatic-only-not-a-secret DEBUG=0 python manage.py collectstatic --no-input

# var/ holds celery beat's schedule; nothing else needs to be writable.
RUN useradd --system --no-create-home --home-dir /app --uid 10001 app \
    && mkdir -p var \
    && chown -R app:app var
USER app

EXPOSE 8000
# Workers, threads, timeouts and limits: gunicorn.conf.py (docs/hardening/operations.md).
CMD ["gunicorn", "pipelinecrm.wsgi", "--config", "gunicorn.conf.py"]
