"""What gunicorn and the `flask` command load: `gunicorn wsgi:app`."""
from portal import create_app

app = create_app()
