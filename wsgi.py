"""The only place the web app is built for serving: `gunicorn wsgi:app`."""
from app import create_app

app = create_app()
