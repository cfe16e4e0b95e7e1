"""gunicorn settings for `flask serve` (`gunicorn -c python:app.web.gunicorn_conf`).

The worker class is gevent: each request is a greenlet, and an open event stream (app/live.py)
waiting on Redis is a greenlet blocked on a socket, a few kilobytes, instead of one of a handful
of threads; a process keeps answering pages with a thousand streams open. gunicorn's gevent worker
monkey-patches the standard library (sockets, select, time.sleep, threading) in the worker before
the app is imported, so psycopg, redis-py, httpx and SQLAlchemy's pool wait cooperatively
(psycopg notices the patched `select` and uses a waiting function gevent can switch out of).
worker_connections bounds the greenlets of a process: 1,000 streams and the pages beside them.

After the fork, everything the app built at start-up (templates, SQLAlchemy mappers, the
sandbox catalog) is moved out of the garbage collector's sight with gc.freeze(), and the
young-generation threshold is raised: otherwise periodic full collections walk those objects
and add tens of milliseconds to an unlucky request (the p99 in bench/product_search.py).
"""
import gc

worker_class = "gevent"
worker_connections = 2000
timeout = 60
graceful_timeout = 5  # open event streams must not hold a restart for long
# gunicorn 25.1+ opens a runtime control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl): two
# storefronts of one user would share it, and the first to stop would remove the other's. `flask serve`
# starts and stops its processes itself (app/serving.py), so none is opened.
control_socket_disable = True


def post_fork(server, worker):
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def post_worker_init(worker):
    """The app is loaded: SQLite learns to wait for a lock without stopping the other greenlets."""
    from app.serving import cooperative_sqlite

    cooperative_sqlite(worker.wsgi)
