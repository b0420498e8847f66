"""What the ``jixiao serve`` commands do; cli.py only adapts them to click."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Callable

from jixiao.errors import InputError, UsageError


def migrate() -> None:
    """Bring the database up to date; one that cannot be opened or reached is one
    Chinese line (the drivers' own texts are English)."""
    from django.conf import settings
    from django.core.management import call_command

    try:
        call_command("migrate", interactive=False, verbosity=0)
    except Exception:
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            raise InputError(f"无法打开数据库文件“{db['NAME']}”：请检查该路径的文件夹是否存在、可否写入，"
                             "以及它是否是 SQLite 数据库文件") from None
        where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        raise InputError(f"无法连接数据库“{db.get('NAME')}”（{where}）：请检查地址、端口、用户名和密码，"
                         "以及数据库服务器是否在运行") from None


def init(data: str, admin: str, password: str | None, db: str | None,
         echo: Callable[[str], None]) -> None:
    """Create the data folder, its secret key and database, and the admin account. An
    existing admin keeps its password."""
    from jixiao.serve.config import setup

    if password is not None and not password:
        raise UsageError("从标准输入读到的管理员密码为空")
    folder = setup(data, db, create=True)
    migrate()
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(username=admin).first()
    if user is not None:
        echo(f"数据目录 {folder} 已初始化；管理员 {admin} 已存在，密码未更改。")
        return
    generated = password is None
    if generated:
        password = secrets.token_urlsafe(12)
    else:
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        from django.utils import translation

        try:
            with translation.override("zh-hans"):  # migrate's command left no language active
                validate_password(password, User(username=admin))
        except ValidationError as exc:
            # Django 5.2 changed the too-short message and its zh-hans catalogue still has
            # the old one: that reason is worded here, the others come translated
            said = {"password_too_short": "密码太短，至少需要 8 个字符。"}
            reasons = "".join(said.get(e.code) or "".join(e.messages) for e in exc.error_list)
            raise UsageError(f"管理员密码不可用：{reasons}未创建管理员。") from None
    User.objects.create_superuser(username=admin, email="", password=password)
    from jixiao.serve.services import audit

    audit(None, "创建管理员", admin, "serve init")
    echo(f"已初始化数据目录 {folder}，并创建管理员 {admin}。")
    if generated:
        echo(f"管理员 {admin} 的初始密码（只显示这一次，请妥善保存）：{password}")


def create_round(data: str, db: str | None, projects: str, year: int | None,
                 name: str | None) -> list[tuple[str, str]]:
    from jixiao.serve.config import setup

    setup(data, db)
    migrate()
    from jixiao.serve.services import create_round as create

    path = Path(projects)

    def chunks():
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                yield block

    round_ = create(name or f"{year or ''}{'年度' if year else ''}绩效自评收集", year,
                    path.name, chunks())
    return [(unit.name, f"/u/{unit.token}") for unit in round_.units.all()]


def folder_of(settings) -> Path:
    return Path(settings.JIXIAO_DATA)


def proxy_settings() -> dict:
    """Behind the bureau's reverse proxy (JIXIAO_SERVE_TRUSTED_PROXY=its address): waitress
    takes the client's address and scheme from that proxy's X-Forwarded-* headers only, so
    the login throttle and the audit log see the real client, not the proxy."""
    proxy = os.environ.get("JIXIAO_SERVE_TRUSTED_PROXY", "").strip()
    if not proxy:
        return {}
    return {"trusted_proxy": proxy, "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            "clear_untrusted_proxy_headers": True}


def waitress_body_bound(limit: int) -> int:
    """What waitress buffers at most: five times the upload limit, at least 100 MB."""
    return max(5 * limit, 100 * 1024 * 1024)


def serve(data: str, db: str | None, host: str, port: int, echo: Callable[[str], None],
          threads: int = 8) -> None:
    """The portal under waitress (a production WSGI server) until Ctrl-C."""
    from jixiao.serve.config import setup

    hosts = None
    if host in ("0.0.0.0", "::", ""):
        hosts = ["*"]  # every address: the bureau's proxy decides which names reach us
    elif not os.environ.get("JIXIAO_ALLOWED_HOSTS"):
        hosts = sorted({host, "127.0.0.1", "localhost", "[::1]"})
    setup(data, db, allowed_hosts=hosts)
    migrate()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from waitress.server import create_server

    from jixiao.serve.library import start_checkers, stop_checkers, sweep_tmp

    sweep_tmp(folder_of(settings))
    # the fork server is a fresh interpreter (it inherits no memory, no connection)
    start_checkers(threads)
    application = get_wsgi_application()
    # waitress reads a whole body before the application sees it, and refuses one whose
    # Content-Length is over its bound without reading it (in English, closing the
    # connection). Up to the bound the body is buffered in waitress's temporary file and
    # refused by our middleware with the Chinese 413 (a 60 MB scan picked by mistake);
    # nothing is stored in the data folder either way. Beyond it, the English refusal
    # keeps a client from making us buffer any amount.
    bound = waitress_body_bound(settings.JIXIAO_MAX_UPLOAD)
    try:
        server = create_server(application, host=host, port=port, threads=threads,
                               max_request_body_size=bound, ident="jixiao", **proxy_settings())
    except OSError as exc:  # the port is taken, or below 1024 without the right
        import errno

        stop_checkers()
        why = {errno.EADDRINUSE: "端口已被占用，请换一个 --port",
               errno.EACCES: "没有权限使用该端口（1024 以下的端口需要管理员权限）",
               errno.EADDRNOTAVAIL: "本机没有这个地址"}.get(exc.errno, exc.strerror or str(exc))
        raise UsageError(f"无法在 {host}:{port} 上监听：{why}") from None
    shown = f"[{host}]" if ":" in host else host
    echo(f"门户已启动：http://{shown}:{port}/ （按 Ctrl-C 停止）")
    try:
        server.run()  # returns on Ctrl-C or SIGTERM: a clean stop, exit 0
    finally:
        server.close()
        stop_checkers()
    echo("门户已停止。")
