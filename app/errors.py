"""Error pages inside the layout; htmx requests get a short fragment instead."""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.exceptions import DomainError
from app.rendering import is_htmx


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求有误"), _("提交的内容无法处理，请检查后重试。")),
        403: (_("没有权限"), _("你没有权限访问这个页面或执行这个操作。")),
        404: (_("页面不存在"), _("你要找的页面不存在，可能已下架或地址有误。")),
        405: (_("请求方式不支持"), _("这个地址不接受这种请求。")),
        409: (_("操作冲突"), _("数据已被其他操作更改，请刷新后重试。")),
        413: (_("内容太大"), _("上传的内容超过了大小限制。")),
        415: (_("格式不支持"), _("提交的内容格式不被接受。")),
        429: (_("操作太频繁"), _("请稍等片刻再试。")),
        500: (_("服务器开小差了"), _("我们已记录这个问题，请稍后再试。")),
    }


def render_error(status: int, detail: str | None = None):
    messages = _messages()
    title, text = messages.get(status, messages[500] if status >= 500 else messages[400])
    if is_htmx():
        body = render_template("errors/_inline.html", title=title, text=detail or text)
        # htmx only swaps 2xx by default; the client script shows this in the flash area.
        return body, status
    template = f"errors/{status}.html" if status in (400, 403, 404, 500) else "errors/error.html"
    return render_template(template, status=status, title=title, text=detail or text), status


def init_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        from app.extensions import db

        db.session.rollback()
        return render_error(error.status, error.message or None)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("页面已过期或来源不明，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.response is not None:
            return error.response  # a page of its own (e.g. a rate limit's on_breach)
        response = render_error(error.code, getattr(error, "user_message", None))
        if error.code == 405 and error.valid_methods:
            return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        try:
            from app.extensions import db

            db.session.rollback()
        except Exception:  # noqa: BLE001, S110 (the original error is what matters)
            pass
        return render_error(500)
