"""A real S3 API server on loopback (moto's standalone server) and an independent boto3 reader."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import bare_env

BUCKET = "podcast"


class S3Server:
    def __init__(self):
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop()

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def env(self, tmp: Path, **extra: str) -> dict[str, str]:
        """The publish subprocess's environment: credentials and endpoint the standard AWS way, no real config."""
        env = {k: v for k, v in bare_env().items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                   AWS_ENDPOINT_URL=self.endpoint, AWS_CONFIG_FILE=str(tmp / "no-aws-config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"), AWS_EC2_METADATA_DISABLED="true")
        env.update(extra)
        return env

    def objects(self, prefix: str = "") -> dict[str, int]:
        found = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for obj in page.get("Contents", []):
                found[obj["Key"]] = obj["Size"]
        return found

    def get(self, key: str) -> bytes:
        return self.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def reset_bucket(self) -> None:
        c = self.client()
        if BUCKET not in [b["Name"] for b in c.list_buckets().get("Buckets", [])]:
            c.create_bucket(Bucket=BUCKET)
        for key in self.objects():
            c.delete_object(Bucket=BUCKET, Key=key)


def local_files(out: Path) -> dict[str, bytes]:
    """What a publish must send: every regular file but dot-files."""
    found = {}
    for path in Path(out).rglob("*"):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and not any(p.startswith(".") for p in rel.split("/")):
            found[rel] = path.read_bytes()
    return found

