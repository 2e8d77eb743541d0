"""What the REST speech engines (azure, openai) share: one aiohttp session, and
HTTP answers turned into retryable, permanent or configuration errors.

aiohttp rather than a vendor SDK: it is already a dependency (edge-tts uses it),
it is asyncio-native like the scheduler, and both APIs are one POST each.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import socket
import time
from urllib.parse import urlparse

from studio.core.errors import SpeechError
from studio.speech.base import EngineConfigError, TransientSpeechError

RETRY_STATUS = (408, 429, 500, 502, 503, 504)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def env_secret(name: str) -> str:
    return os.environ.get(name, "").strip() if name else ""


def probe_url(url: str, timeout: float = 2.0) -> str | None:
    """None when the URL's host accepts a TCP connection, else what failed."""
    u = urlparse(url)
    port = u.port or (443 if u.scheme in ("https", "wss") else 80)
    try:
        with socket.create_connection((u.hostname, port), timeout=timeout):
            return None
    except OSError as e:
        return f"{u.hostname}:{port}: {e.strerror or e}"


class HttpEngine:
    """Base for engines that POST text and get audio back."""

    checks_coverage = True  # no word timings: each clip's duration is checked against its text
    max_jobs = None  # a service: the gate adapts to it
    key_env = ""  # named in a 401/403 error

    def __init__(self, timeout: float, secret: str = "") -> None:
        self.timeout = timeout
        self._secret = secret  # never logged: removed from any message we build
        self._session = None
        self._refused: EngineConfigError | None = None

    def _clean(self, text: str) -> str:
        return text.replace(self._secret, "[key]") if self._secret else text

    async def post(self, url: str, headers: dict[str, str], **body) -> bytes:
        """The response body of a 2xx answer; raises a SpeechError of the right kind otherwise."""
        import aiohttp

        if self._refused is not None:  # reported once: no more requests with a refused key
            raise self._refused
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(url, headers=headers, **body) as resp:
                data = await resp.read()
                if resp.status in (401, 403):
                    what = f"the environment variable {self.key_env}" if self.key_env else "the server's settings"
                    self._refused = EngineConfigError(
                        f"{self.label} refused the request (HTTP {resp.status}): check {what}")
                    raise self._refused
                if resp.status in RETRY_STATUS:
                    raise TransientSpeechError(f"HTTP {resp.status} {resp.reason or ''}".strip(),
                                               retry_after_seconds(resp.headers.get("Retry-After")))
                if resp.status >= 300:
                    detail = self._clean(data[:200].decode("utf-8", "replace")).strip().replace("\n", " ")
                    raise SpeechError(f"HTTP {resp.status} from {self.label}: {detail}")
        except SpeechError:
            raise
        except (asyncio.TimeoutError, TimeoutError):  # before ClientError: aiohttp's timeouts are both
            raise TransientSpeechError(f"no answer within {self.timeout:g} s") from None
        except aiohttp.ClientPayloadError:
            raise TransientSpeechError("the answer was cut short (connection closed mid-body)") from None
        except aiohttp.ClientConnectorError as e:
            raise TransientSpeechError(f"cannot connect to {e.host}:{e.port}") from None
        except (aiohttp.ClientError, ConnectionError) as e:
            raise TransientSpeechError(self._clean(f"connection dropped ({type(e).__name__})")) from None
        if not data:
            raise TransientSpeechError("the service sent no audio (empty body)")
        return data

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
