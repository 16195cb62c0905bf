# One image for every Python service of the stack: web (gunicorn), projector, Celery worker and beat.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# mysqlclient builds against the MySQL/MariaDB client library.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential default-libmysqlclient-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Production settings refuse placeholder secrets, so the build makes throwaway ones (never used again).
RUN export DJANGO_SETTINGS_MODULE=config.settings.production \
      DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
      METRICS_TOKEN="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
      DATABASE_URL="mysql://build:$(python -c 'import secrets; print(secrets.token_hex(16))')@127.0.0.1:3306/build" \
 && python manage.py collectstatic --noinput \
 && useradd --create-home --uid 10001 app \
 && chown -R app:app /app
USER app

ENV DJANGO_SETTINGS_MODULE=config.settings.production
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py ensure_mongo && exec gunicorn -c config/gunicorn.py config.wsgi:application"]
