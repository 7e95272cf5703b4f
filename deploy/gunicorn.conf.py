"""gunicorn settings for the portal: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed without editing this file, through the environment variables named
below (set them in the systemd unit or /etc/portal/portal.env). docs/deploy.md explains the
choices.
"""
import gc
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (cgroups, taskset)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Where to listen. Under systemd, deploy/systemd/portal-web.socket hands gunicorn its unix
# socket (socket activation) and this value is ignored; by hand it serves on loopback.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# Processes and threads. Requests mostly wait on the database (mail and WhatsApp leave through
# the outbox workers, not here), with CPU-heavy moments: PDF rendering, image re-encoding.
# A few threaded processes per CPU fit that; WEB_CONCURRENCY is gunicorn's usual override.
workers = _int("WEB_CONCURRENCY", max(2, _cpus() + 1))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)

# A worker process whose heartbeat stops for `timeout` seconds is killed and replaced. With
# threads the heartbeat comes from the worker's main loop, so one slow request does not trip
# it: nginx's proxy_read_timeout (60 s) is what a client waits at most. On stop or reload,
# requests in flight get `graceful_timeout` seconds to finish.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5

# Replace each worker after about a thousand requests: Pillow and reportlab allocate large
# buffers, and a fresh process gives the memory back.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = 100

# Load the application once in the master before forking: less memory, and a bad setting
# (the development SECRET_KEY in production, say) stops the service at once instead of
# leaving workers crashing in a loop. The price: `systemctl reload` (HUP) restarts the workers
# but keeps the code already loaded, so an upgrade needs a restart (docs/deploy.md).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in {"0", "false", "no", "off"}


def when_ready(server):
    """Once, in the master, the preloaded app compiles every template (about 0.5 s of CPU):
    otherwise every worker compiled those it uses, again after each replacement."""
    if preload_app:
        from portal.templating import compile_all
        from wsgi import app

        compile_all(app)


def pre_fork(server, worker):
    """Right before each fork, what the master holds (the preloaded app, its templates) is
    frozen out of the garbage collector's reach: a worker's collections leave those objects,
    and the memory pages under them, alone (shared with the master, not copied), and a worker
    replaced after max_requests exits at once instead of spending 0.3 s of CPU taking apart
    every object it inherited."""
    gc.freeze()


def post_fork(server, worker):
    """Each worker opens its own database connections: drop any the master may hold."""
    from portal.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)


# The proxy in front. gunicorn trusts X-Forwarded-Proto only from these addresses (a unix
# socket is always trusted); PROXY_FIX=1 in the portal's environment makes Flask use the
# client address and scheme nginx passes on. Only X-Forwarded-Proto decides the scheme, so a
# client-sent X-Forwarded-Ssl cannot contradict it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Logs go to stdout/stderr, hence to the journal under systemd. The client address is the one
# nginx saw (X-Real-IP); the socket peer is nginx itself. Paths can carry one-time tokens
# (account confirmation, password reset): keep these logs private.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%({x-real-ip}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" %(p)s'
)

# Heartbeat files on a RAM disk: a busy disk must not make healthy workers look dead.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (gunicorn-owned)

# gunicorn 25+ opens a control socket under $HOME by default; the service user's home is
# read-only under the systemd hardening, and nothing here uses `gunicornc`.
control_socket_disable = True

proc_name = "portal-web"
