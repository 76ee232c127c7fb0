# One image for web, worker and beat; choose the role with the command.
#   docker run IMAGE                                  -> web (gunicorn)
#   docker run IMAGE celery -A config worker          -> worker
#   docker run IMAGE celery -A config beat            -> the one scheduler
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VAR_DIR=/app/var

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --system --home /app orchestration \
    && mkdir -p /app/var \
    && DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && chown -R orchestration /app/var
USER orchestration

EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && gunicorn config.wsgi -w ${WEB_CONCURRENCY:-4} -b 0.0.0.0:8000"]
