"""gunicorn settings for `flask serve` (`gunicorn -c python:app.web.gunicorn_conf`).

After the fork, everything the app built at start-up (templates, SQLAlchemy mappers, the
sandbox catalog) is moved out of the garbage collector's sight with gc.freeze(), and the
young-generation threshold is raised: otherwise periodic full collections walk those objects
and add tens of milliseconds to an unlucky request (the p99 in bench/product_search.py).
"""
import gc

worker_class = "gthread"
threads = 16
timeout = 60
graceful_timeout = 5  # open event streams must not hold a restart for long


def post_fork(server, worker):
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
