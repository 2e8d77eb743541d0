"""Amazon SES (API v2, SendEmail with raw content) behind the pool's connection interface.

boto3 finds credentials, region and endpoint the standard way (AWS_ACCESS_KEY_ID,
AWS_PROFILE, ~/.aws/config, AWS_ENDPOINT_URL ...), or [ses] region / profile /
endpoint_url. A "connection" is one request at a time on a thread of a shared
pool; the boto3 client is thread-safe. botocore's own retries are off: the pool
retries, and SES's throttling answers drive its pace.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from studio.core.config import Show
from studio.mail.outcome import ACCEPTED, Dropped, Outcome, TransportError, reply_outcome

THROTTLING = {"TooManyRequestsException", "ThrottlingException", "Throttling", "LimitExceededException"}
FATAL = {"AccountSuspendedException", "SendingPausedException", "MailFromDomainNotVerifiedException",
         "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDeniedException",
         "AccessDenied", "NotFoundException", "InvalidSignatureException", "ExpiredTokenException"}


class SesTransport:
    def __init__(self, show: Show, connections: int):
        try:
            import boto3  # lazy: boto3 takes ~0.3 s to import; only a show that sends through SES pays for it
        except ImportError:
            raise TransportError("sending through SES needs boto3, which the `aws` extra installs: "
                                 "pip install 'studio[aws]' (or pipx inject studio boto3)", show.file) from None
        from botocore.config import Config  # lazy: with boto3

        ses, self.show_file = show.ses, show.file
        self.configuration_set = ses.configuration_set
        try:
            session = boto3.session.Session(profile_name=ses.profile or None, region_name=ses.region or None)
            self.client = session.client(
                "sesv2", endpoint_url=ses.endpoint_url or None,
                config=Config(max_pool_connections=connections, retries={"total_max_attempts": 1, "mode": "standard"},
                              connect_timeout=show.smtp.timeout, read_timeout=show.smtp.timeout))
        except Exception as e:  # noqa: BLE001 - botocore raises many kinds for a bad profile or region
            raise TransportError(f"cannot set up Amazon SES: {e}", self.show_file) from None
        self.where = f"Amazon SES ({self.client.meta.region_name}, {self.client.meta.endpoint_url})"
        self.executor = ThreadPoolExecutor(max_workers=connections, thread_name_prefix="ses")

    async def open(self) -> "SesConnection":
        return SesConnection(self)

    async def aclose(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

    def call(self, sender: str, to: str, data: bytes) -> Outcome:
        """One SendEmail request (on a pool thread)."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError  # lazy: with boto3

        kwargs = {"FromEmailAddress": sender, "Destination": {"ToAddresses": [to]}, "Content": {"Raw": {"Data": data}}}
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            self.client.send_email(**kwargs)
        except ClientError as e:
            return self._answer(e.response)
        except NoCredentialsError:
            raise TransportError("no AWS credentials for Amazon SES: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                                 "AWS_PROFILE or [ses] profile", self.show_file) from None
        except BotoCoreError as e:  # connection refused, reset, timed out: the request's fate is unknown
            raise Dropped(str(e)) from None
        return ACCEPTED

    def _answer(self, response: dict) -> Outcome:
        error = response.get("Error", {})
        name, message = error.get("Code", ""), " ".join(str(error.get("Message", "")).split())
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        reason = f"{status} {name}: {message}"
        if name in FATAL:
            raise TransportError(f"{self.where} refuses to send: {reason}", self.show_file)
        if name in THROTTLING or status == 429:
            outcome = reply_outcome(421, message)  # classified as an SMTP server would be: throttle or daily quota
            return Outcome("deferred", status, reason, throttle=not outcome.quota, quota=outcome.quota)
        if status >= 500:
            return Outcome("deferred", status, reason, throttle=True)
        return Outcome("refused", status, reason)


class SesConnection:
    usable = True

    def __init__(self, transport: SesTransport):
        self.transport = transport

    async def send(self, sender: str, to: str, data: bytes) -> Outcome:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.transport.executor, self.transport.call, sender, to, data)

    async def close(self) -> None:
        pass
