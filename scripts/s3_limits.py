"""S3's limits, in front of moto's S3: what Amazon S3 refuses, refused here
the same way (moto stores what S3 would refuse, so an archive that works
locally could fail on AWS).

- Bucket names (CreateBucket): 3 to 63 characters; lowercase letters,
  digits, dots and hyphens; a letter or digit first and last; no two
  adjacent dots; not shaped like an IP address; not starting with `xn--`,
  `sthree-` or `amzn-s3-demo-`; not ending with `-s3alias`, `--ol-s3`,
  `.mrap` or `--x-s3` (prefixes and suffixes S3 keeps for itself).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
- Object keys: at most 1,024 bytes of UTF-8.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
- One PUT uploads at most 5 GiB (larger objects take a multipart upload),
  decided on the request's declared Content-Length before any byte is read.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html

Each refusal is S3's own error code and message, as XML, status 400.
"""
import re
import urllib.parse
import uuid

MAX_KEY_BYTES = 1024
MAX_PUT_BYTES = 5 * 1024 ** 3

RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
IP_SHAPED = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
NAME_CHARACTERS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")


def is_s3(environ) -> bool:
    """Whether a request to moto is for S3: its signature's scope says so."""
    return "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")


def bucket_name_problem(name: str):
    """Why S3 refuses `name` for a new bucket, or None."""
    if not 3 <= len(name) <= 63:
        return "a bucket name has 3 to 63 characters"
    if not NAME_CHARACTERS.match(name):
        return "a bucket name has lowercase letters, digits, dots and hyphens, and starts and ends with a letter or digit"
    if ".." in name:
        return "a bucket name has no two adjacent dots"
    if IP_SHAPED.match(name):
        return "a bucket name is not shaped like an IP address"
    if name.startswith(RESERVED_PREFIXES) or name.endswith(RESERVED_SUFFIXES):
        return "a bucket name does not use a prefix or suffix S3 reserves"
    return None


def bucket_and_key(environ):
    """(bucket, key as bytes) of a path-style request (`/bucket/key`); key
    b'' for the bucket itself. WSGI hands over the path already decoded
    from %-escapes, each byte one latin-1 character."""
    path = environ.get("PATH_INFO", "").encode("latin-1")
    bucket, _, key = path.lstrip(b"/").partition(b"/")
    return bucket.decode("utf-8", "replace"), key


def error(code: str, message: str, resource: str):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>{resource}</Resource><RequestId>{uuid.uuid4().hex}</RequestId></Error>"
    ).encode()
    return "400 Bad Request", body


def problem(environ):
    """S3's (status, XML body) for a request that breaks one of its limits,
    or None (moto then serves it)."""
    if not is_s3(environ):
        return None
    method = environ.get("REQUEST_METHOD", "")
    bucket, key = bucket_and_key(environ)
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if method == "PUT" and bucket and not key and not query:
        reason = bucket_name_problem(bucket)
        if reason is not None:
            return error("InvalidBucketName", f"The specified bucket is not valid ({reason}).", f"/{bucket}")
    if method in ("PUT", "POST") and key:
        if len(key) > MAX_KEY_BYTES:
            shown = key[:64].decode("utf-8", "replace")
            return error("KeyTooLongError", "Your key is too long", f"/{bucket}/{shown}...")
        declared = int(environ.get("CONTENT_LENGTH") or 0)
        decoded = environ.get("HTTP_X_AMZ_DECODED_CONTENT_LENGTH")
        size = int(decoded) if decoded else declared
        is_part = "partNumber" in query
        if method == "PUT" and not is_part and size > MAX_PUT_BYTES:
            return error(
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                f"/{bucket}/{key.decode('utf-8', 'replace')}",
            )
    return None
