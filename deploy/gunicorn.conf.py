"""gunicorn settings for the web process (``deploy/bin/web``), read from the environment.

The same file runs under systemd, compose, Kubernetes and ``deploy/smoke``; only the environment
differs. Sync workers: every request is short and database-bound, and a sync worker holds one
persistent database connection (``DATABASE_CONN_MAX_AGE``), so the number of connections is
``workers`` per web instance, which is what PostgreSQL's ``max_connections`` is sized against.
"""

import multiprocessing
import os

# A unix socket behind nginx on the same host (systemd, smoke); host:port in containers.
bind = os.environ.get("GUNICORN_BIND", "unix:/run/tre/gunicorn.sock").split(",")
# (2 × cores) + 1 is gunicorn's rule of thumb for sync workers; cap it per instance and add
# instances (replicas) rather than workers beyond that.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "sync"
# nginx buffers slow clients, so a request reaching gunicorn is fast; a stuck one is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, jittered so they do not all restart at once: a guard against
# slow leaks in third-party code (docs/benchmarks.md measures the growth; it is small).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Only nginx talks to gunicorn: trust its X-Forwarded-* headers from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Logs to stdout/stderr: journald, docker and kubectl collect them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Temporary files on tmpfs where it exists (containers with a read-only root).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "tre-web"
# gunicorn 24+ opens a control socket in ~/.gunicorn by default: one fixed path per user, which
# two instances on a machine would fight over, and a management interface we do not use.
control_socket_disable = True
