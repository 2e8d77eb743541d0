"""`studio publish --to s3://BUCKET/PREFIX`: Amazon S3, Cloudflare R2, Backblaze B2, MinIO, Wasabi.

boto3 finds credentials, region and endpoint the standard way (AWS_ACCESS_KEY_ID,
AWS_PROFILE, AWS_ENDPOINT_URL, ~/.aws/config and credentials); show.toml's
[publish] may name a profile, endpoint or region, never a secret.
Uploads run in parallel within a phase (media, episode files, pages, feed.xml)
and a phase starts only when the one before is complete, so the feed is
uploaded last and never lists an object that is not there. The hashes of what
is published live in PREFIX/.studio-publish.json (and on each object as
x-amz-meta-sha256); every key written or deleted starts with PREFIX/.
"""

from __future__ import annotations

import json
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

from studio.core.media_types import cache_control, content_type
from studio.publish.files import phase, safe_rel
from studio.publish.target import STATE, PublishError, no_lock, parse_state

MB = 1024 * 1024


def parse_url(url: str) -> tuple[str, str]:
    """s3://BUCKET/PREFIX -> (bucket, "prefix/" or "")."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    if not bucket or "\\" in prefix or (prefix and not safe_rel(prefix)):
        raise PublishError(f"not an s3://BUCKET/PREFIX target: {url!r}")
    return bucket, prefix + "/" if prefix else ""


def _why(e: Exception) -> str:
    response = getattr(e, "response", None)  # botocore's ClientError; other errors may carry None
    err = response.get("Error", {}) if isinstance(response, dict) else {}
    if err:
        return f"{err.get('Code', '')} {err.get('Message', '')}".strip()
    return str(e).splitlines()[0] if str(e) else type(e).__name__


class S3Target:
    @classmethod
    def open(cls, url: str, jobs: int, settings) -> "S3Target":
        return cls(url, jobs=jobs, settings=settings)

    def __init__(self, url: str, jobs: int = 8, settings=None):
        try:
            import boto3  # lazy: boto3 takes ~0.5 s to import, and only an S3 publish needs it
        except ImportError:
            raise PublishError("publishing to s3:// needs boto3, which the `aws` extra installs: "
                               "pip install 'studio[aws]' (or pipx inject studio boto3)", url) from None
        from boto3.s3.transfer import TransferConfig  # lazy: with boto3
        from botocore.config import Config  # lazy: with boto3
        from botocore.exceptions import BotoCoreError  # lazy: with boto3

        self.bucket, self.prefix = parse_url(url)
        self.name = f"s3://{self.bucket}/{self.prefix}"
        self.jobs = jobs
        profile = getattr(settings, "profile", "") or None
        endpoint = getattr(settings, "endpoint_url", "") or None
        region = getattr(settings, "region", "") or None
        part = max(5, getattr(settings, "multipart_mb", 8)) * MB
        try:
            session = boto3.session.Session(profile_name=profile, region_name=region)
            # retries: botocore's defaults, or AWS_MAX_ATTEMPTS / AWS_RETRY_MODE / the profile's settings
            self.client = session.client("s3", endpoint_url=endpoint,
                                         config=Config(max_pool_connections=jobs * 4 + 2))
        except (BotoCoreError, ValueError) as e:  # an unknown profile, a malformed endpoint
            raise PublishError(f"S3 client: {_why(e)}", self.name) from None
        self.transfer = TransferConfig(multipart_threshold=part, multipart_chunksize=part, max_concurrency=4)
        self.notes: list[str] = []  # warnings for the publish result

    def _call(self, what: str, fn, *args, **kw):
        from botocore.exceptions import BotoCoreError, ClientError  # lazy: with boto3

        try:
            return fn(*args, **kw)
        except (BotoCoreError, ClientError) as e:
            raise PublishError(f"{what} failed ({_why(e)})", self.name) from None

    def key(self, rel: str) -> str:
        if not safe_rel(rel):  # files.safe_rel already holds; never a key outside PREFIX
            raise PublishError(f"refusing a key outside the prefix: {rel!r}", self.name)
        return self.prefix + rel

    def locked(self):
        return no_lock()  # two publishes of one show at once are not guarded across machines

    def load_state(self) -> object:
        from botocore.exceptions import ClientError  # lazy: with boto3

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + STATE)["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return {}
            raise PublishError(f"reading {STATE} failed ({_why(e)})", self.name) from None
        except Exception as e:  # noqa: BLE001 - connection errors and the like
            raise PublishError(f"reading {STATE} failed ({_why(e)})", self.name) from None
        return parse_state(body)

    def sizes(self, rels: list[str]) -> dict[str, int]:
        """One listing of PREFIX (1,000 keys per request), not a request per file."""
        found = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)

        def listing():
            for page in pages:
                for obj in page.get("Contents", []):
                    found[obj["Key"][len(self.prefix):]] = obj["Size"]
        self._call("listing the bucket", listing)
        wanted = set(rels)
        return {rel: size for rel, size in found.items() if rel in wanted}

    def upload(self, out: Path, rel: str, digest: str, sent=lambda: None) -> None:
        extra = {"ContentType": content_type(rel), "CacheControl": cache_control(rel), "Metadata": {"sha256": digest}}
        self.client.upload_file(str(out / rel), self.bucket, self.key(rel), ExtraArgs=extra, Config=self.transfer)
        sent()

    def abort_unfinished(self) -> int:
        """Abort the multipart uploads under PREFIX that a publish killed or cut off mid-file left behind
        (their parts are stored, and billed, until aborted). Returns how many."""
        found = []

        def listing():
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket,
                                                                                      Prefix=self.prefix):
                found.extend(u for u in page.get("Uploads", []) if u["Key"].startswith(self.prefix))
        self._call("listing unfinished uploads", listing)
        for up in found:
            self._call(f"aborting the unfinished upload of {up['Key']}", self.client.abort_multipart_upload,
                       Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
        return len(found)

    def write(self, out: Path, changed: list[str], hashes: dict[str, str], sent=lambda: None) -> None:
        n = self.abort_unfinished()  # left by an earlier publish that was interrupted
        if n:
            self.notes.append(f"aborted {n} unfinished multipart upload{'s' * (n != 1)} an interrupted "
                              f"publish left under {self.name}")
        try:
            self._write(out, changed, hashes, sent)
        except PublishError:
            try:  # s3transfer aborts a part that failed; this also covers cancelled ones
                self.abort_unfinished()
            except PublishError as e:
                self.notes.append(f"unfinished uploads could not be aborted ({e.message}); the next publish does it")
            raise

    def _write(self, out: Path, changed: list[str], hashes: dict[str, str], sent) -> None:
        phases: dict[int, list[str]] = {}
        for rel in changed:
            phases.setdefault(phase(rel), []).append(rel)
        with ThreadPoolExecutor(self.jobs) as pool:
            for n in sorted(phases):
                futures = {pool.submit(self.upload, out, rel, hashes[rel], sent): rel for rel in phases[n]}
                done, pending = wait(futures, return_when=FIRST_EXCEPTION)
                failed = [f for f in done if f.exception() is not None]
                if failed:
                    for f in pending:
                        f.cancel()
                    wait(pending)
                    rel = futures[failed[0]]
                    raise PublishError(f"uploading {rel} failed ({_why(failed[0].exception())}); feed.xml was not "
                                       "updated, so the published feed lists only complete files", self.name)

    def remove(self, rels: list[str]) -> list[str]:
        removed = []
        keys = [self.key(rel) for rel in rels]
        for start in range(0, len(keys), 1000):
            batch = keys[start:start + 1000]
            answer = self._call("deleting old files", self.client.delete_objects, Bucket=self.bucket,
                                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            failed = {e["Key"] for e in answer.get("Errors", [])}
            removed += [k[len(self.prefix):] for k in batch if k not in failed]
        return removed

    def save_state(self, files: dict[str, str]) -> None:
        body = json.dumps({"files": files}, indent=0, sort_keys=True).encode()
        self._call(f"writing {STATE}", self.client.put_object, Bucket=self.bucket, Key=self.prefix + STATE,
                   Body=body, ContentType="application/json", CacheControl="no-store")
