"""gunicorn settings of the production launch (`manage.py relais_serve` starts gunicorn with
them; `gunicorn -c config/gunicorn.conf.py` does the same by hand).

Every value can be changed by an environment variable, documented in the README.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("RELAIS_BIND", "127.0.0.1:8000").split(",")
# Sync workers: each request is short (pages are server-rendered, htmx polls answer 204 when
# nothing changed) and most of its time is Python, so one process per core plus one per core for
# requests waiting on PostgreSQL keeps the cores busy without piling up memory.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2)))
worker_class = "sync"
# The application is imported once, before the fork: the workers share its memory and start fast.
preload_app = True
timeout = int(os.environ.get("RELAIS_WEB_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
# A worker is replaced after this many requests (with jitter so they don't all restart at once):
# a bound on memory whatever a library leaks.
max_requests = int(os.environ.get("RELAIS_WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Behind the TLS proxy: trust its X-Forwarded-* headers (the proxy runs on the same host by
# default; list its address in FORWARDED_ALLOW_IPS otherwise).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("RELAIS_ACCESS_LOG") or None
# Method, path, status, duration in microseconds (request read to response written), bytes.
access_log_format = os.environ.get("RELAIS_ACCESS_LOG_FORMAT", '%(h)s "%(r)s" %(s)s %(D)s %(B)s')
errorlog = os.environ.get("RELAIS_ERROR_LOG", "-")
loglevel = os.environ.get("RELAIS_LOG_LEVEL", "info")
# /dev/shm: the heartbeat files never wait on a slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "relais-web"
