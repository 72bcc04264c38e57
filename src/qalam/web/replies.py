"""Django <-> the render pipeline: a Django request as a :class:`~qalam.render.reply.Request`,
a :class:`~qalam.render.reply.Reply` as a Django response. Nothing else crosses the border."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse

from qalam.render.reply import Reply, Request


def request_of(request: HttpRequest) -> Request:
    return Request(
        path=request.path, args={name: request.GET.get(name) for name in request.GET},
        scheme=request.scheme, host=request.get_host(), method=request.method,
        accept_language=request.headers.get("Accept-Language"),
    )


def response_of(reply: Reply) -> HttpResponse:
    if reply.file is not None:
        response = FileResponse(reply.file, content_type=reply.content_type, status=reply.status)
        skip = {"content-type", "content-length"}  # FileResponse sets them from the file
    else:
        response = HttpResponse(reply.body, status=reply.status, content_type=reply.content_type or None)
        skip = {"content-type"}
    for name, value in reply.headers():
        if name.lower() not in skip:
            response[name] = value
    return response
