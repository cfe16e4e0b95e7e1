"""The only place the web app is built for serving: `gunicorn wsgi:app`."""
from app import create_app
from app.serving import storefront_wsgi

flask_app = create_app()
app = storefront_wsgi(flask_app)
