"""The upload size limit, applied from the request's Content-Length before the body is read."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.http import HttpResponse, JsonResponse


def too_large(request) -> HttpResponse:
    from jixiao.io.safety.limits import human_size

    message = f"上传的内容超过了大小限制（{human_size(settings.JIXIAO_MAX_UPLOAD)}），未保存任何文件。请检查是否选错了文件。"
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": message}, status=413, json_dumps_params={"ensure_ascii": False})
    body = render_to_string("portal/message.html", {"title": "文件过大", "message": message},
                            request=request)
    return HttpResponse(body, status=413)


class UploadLimitMiddleware:
    """413 for a body over the limit, from its declared length: nothing is read or stored.
    A body sent without a length (chunked) is bounded by waitress and Django's limits."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # room for the multipart envelope and the other fields of the form
        if length > settings.JIXIAO_MAX_UPLOAD + 64 * 1024:
            return too_large(request)
        return self.get_response(request)
