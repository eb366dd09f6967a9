"""A handler in the style of the platform's image-classification template: read the image
from the request (a body or a multipart part), classify it, answer the ranked labels.
Standard library only: the "model" ranks labels by simple statistics of the PNG."""

import http
import struct
import zlib

LABELS = ["cat", "dog", "bird"]


def decode_png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", data[16:24])


def classify(data):
    width, height = decode_png_size(data)
    scores = [(width * 7 + height) % 11 + 1, zlib.crc32(data) % 13 + 1, len(data) % 5 + 1]
    total = sum(scores)
    ranked = sorted(zip(LABELS, scores, strict=True), key=lambda pair: -pair[1])
    return [{"label": label, "probability": round(score / total, 4)} for label, score in ranked]


def handler(request, context):
    print("Start predict handler.")
    if "http_method" not in request:
        return {
            "status_code": http.HTTPStatus.BAD_REQUEST,
            "content_type": "application/json; charset=utf8",
            "content": {"message": "unsupported runtime"},
        }
    try:
        images = [
            c for c in request["contents"] if (c["content_type"] or "image/png") == "image/png"
        ]
        data = (
            images[0].read() if images and request["contents"][0]["form_name"] else request.read()
        )
        result = classify(data)
        return {
            "status_code": http.HTTPStatus.OK,
            "content_type": "application/json; charset=utf8",
            "content": {"result": result},
        }
    except Exception as error:
        print(str(error))
        return {
            "status_code": http.HTTPStatus.BAD_REQUEST,
            "content_type": "application/json; charset=utf8",
            "content": {"message": str(error)},
        }
