"""Django settings built in code from the data folder and the database URL."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from jixiao.errors import UsageError

SECRET_FILE = "secret_key"
DB_FILE = "jixiao.sqlite3"
MB = 1024 * 1024
#: default upload limit per request; JIXIAO_SERVE_MAX_UPLOAD (bytes, or "20MB") changes it
DEFAULT_MAX_UPLOAD = 20 * MB

_configured: tuple[str, str] | None = None


def max_upload_bytes() -> int:
    raw = os.environ.get("JIXIAO_SERVE_MAX_UPLOAD", "").strip()
    if not raw:
        return DEFAULT_MAX_UPLOAD
    from jixiao.io.safety import parse_limit

    try:
        return int(parse_limit("max_file_bytes", raw))
    except ValueError as exc:
        raise UsageError(f"环境变量 JIXIAO_SERVE_MAX_UPLOAD 的取值无效：{exc}") from None


def default_db_url(data: Path) -> str:
    return f"sqlite:///{(data / DB_FILE).resolve()}"


def database_settings(url: str) -> dict:
    import dj_database_url

    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except Exception:  # dj-database-url raises plain ValueError/KeyError on a bad URL
        raise UsageError(f"数据库地址无效：{url}（应为 sqlite:///路径 或 postgresql://用户@主机:端口/库名）") from None
    engine = config.get("ENGINE", "")
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise UsageError(f"不支持的数据库：{url}（只支持 SQLite 和 PostgreSQL）")
    if engine.endswith("sqlite3") and config.get("NAME") in (None, "", ":memory:"):
        # a database in memory: the admin, rounds and uploads would vanish with the process
        raise UsageError(f"SQLite 数据库地址须给出文件路径：{url}（例如 sqlite:////srv/jixiao/jixiao.sqlite3）")
    if engine.endswith("sqlite3"):
        # several waitress threads write at once. A deferred transaction that reads and
        # then writes cannot wait for the lock (SQLite answers "database is locked" at
        # once): IMMEDIATE takes the write lock at BEGIN, and waits for it up to the
        # timeout. WAL lets readers go on while one thread writes.
        config.setdefault("OPTIONS", {}).update({
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        })
    return config


def read_secret(data: Path, *, create: bool = False) -> str:
    path = data / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    if not create:
        raise UsageError(f"{data} 不是已初始化的门户数据目录（缺少 {SECRET_FILE}），请先运行 jixiao serve init --data {data}")
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def build_settings(data: Path, db_url: str, secret_key: str, allowed_hosts: list[str]) -> dict:
    limit = max_upload_bytes()
    (data / "tmp" / "static").mkdir(parents=True, exist_ok=True)
    return dict(
        DEBUG=False,
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS=allowed_hosts,
        JIXIAO_DATA=str(data),
        JIXIAO_MAX_UPLOAD=limit,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.staticfiles",
            "axes",
            "jixiao.serve.apps.PortalConfig",
        ],
        MIDDLEWARE=[
            # refuses an oversized body from its Content-Length, before anything reads it
            "jixiao.serve.middleware.UploadLimitMiddleware",
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "csp.middleware.CSPMiddleware",
            "axes.middleware.AxesMiddleware",
        ],
        # serve init checks an admin password with Django's validators (Chinese messages)
        AUTH_PASSWORD_VALIDATORS=[
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
             "OPTIONS": {"min_length": 8}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        AUTHENTICATION_BACKENDS=[
            "axes.backends.AxesStandaloneBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        ROOT_URLCONF="jixiao.serve.urls",
        TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.contrib.auth.context_processors.auth",
            ]},
        }],
        DATABASES={"default": database_settings(db_url)},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        LANGUAGE_CODE="zh-hans",
        TIME_ZONE="Asia/Shanghai",
        USE_I18N=True,
        USE_TZ=True,
        STATIC_URL="/static/",
        STATIC_ROOT=str(data / "tmp" / "static"),
        # served from the package itself: no collectstatic, no build step
        WHITENOISE_USE_FINDERS=True,
        WHITENOISE_AUTOREFRESH=False,
        LOGIN_URL="/login/",
        LOGIN_REDIRECT_URL="/rounds/",
        LOGOUT_REDIRECT_URL="/login/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_AGE=8 * 3600,
        CSRF_COOKIE_HTTPONLY=True,
        CSRF_COOKIE_SAMESITE="Lax",
        # behind a bureau's HTTPS reverse proxy: JIXIAO_SERVE_HTTPS=1 makes cookies Secure
        SESSION_COOKIE_SECURE=os.environ.get("JIXIAO_SERVE_HTTPS") == "1",
        CSRF_COOKIE_SECURE=os.environ.get("JIXIAO_SERVE_HTTPS") == "1",
        CSRF_TRUSTED_ORIGINS=[o for o in os.environ.get("JIXIAO_SERVE_ORIGINS", "").split(",") if o],
        SECURE_CONTENT_TYPE_NOSNIFF=True,
        SECURE_REFERRER_POLICY="same-origin",
        X_FRAME_OPTIONS="DENY",
        CSRF_FAILURE_VIEW="jixiao.serve.views.csrf_failure",
        CONTENT_SECURITY_POLICY={"DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "img-src": ["'self'", "data:"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
            "base-uri": ["'none'"],
            "object-src": ["'none'"],
        }},
        # a body bigger than this stops Django reading it (the middleware refuses earlier)
        DATA_UPLOAD_MAX_MEMORY_SIZE=limit,
        FILE_UPLOAD_MAX_MEMORY_SIZE=min(limit, 5 * MB),
        FILE_UPLOAD_TEMP_DIR=str(data / "tmp"),
        DATA_UPLOAD_MAX_NUMBER_FILES=50,
        AXES_FAILURE_LIMIT=int(os.environ.get("JIXIAO_SERVE_LOGIN_ATTEMPTS", "5")),
        AXES_COOLOFF_TIME=timedelta(minutes=15),
        # one user locked out from one address: a typo'd name does not lock the office out
        AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]],
        AXES_LOCKOUT_TEMPLATE="portal/locked.html",
        AXES_RESET_ON_SUCCESS=True,
        AXES_VERBOSE=False,
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            # a 401/404 per refused request is not news: errors only, once
            "loggers": {"django": {"handlers": ["console"], "level": "ERROR", "propagate": False},
                        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
                        # "Task queue depth is N" for every queued request under load
                        "waitress.queue": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
        },
    )


def setup(data: str | os.PathLike, db_url: str | None = None, *, create: bool = False,
          allowed_hosts: list[str] | None = None) -> Path:
    """Configure Django for the data folder ``data`` (once per process) and return it.

    ``create``: make the folder and its secret key (``serve init``); otherwise the folder
    must have been initialised. A second call with the same folder and database is a no-op.
    """
    global _configured
    import django
    from django.conf import settings

    folder = Path(data).resolve()
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"无法创建数据目录 {folder}：{exc.strerror}") from None
    elif not folder.is_dir():
        raise UsageError(f"数据目录 {folder} 不存在，请先运行 jixiao serve init --data {folder}")
    url = db_url or os.environ.get("JIXIAO_DB") or default_db_url(folder)
    key = (str(folder), url)
    if _configured is not None:
        if _configured != key:
            raise UsageError("同一进程中门户只能使用一个数据目录和数据库")
        return folder
    hosts = allowed_hosts or [h.strip() for h in os.environ.get(
        "JIXIAO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h.strip()]
    settings.configure(**build_settings(folder, url, read_secret(folder, create=create), hosts))
    django.setup()
    _configured = key
    return folder


def data_folder() -> Path:
    from django.conf import settings

    return Path(settings.JIXIAO_DATA)
