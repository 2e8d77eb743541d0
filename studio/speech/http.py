"""What the REST speech engines (azure, openai) share: one aiohttp session, and
HTTP answers turned into retryable, permanent or configuration errors.

aiohttp rather than a vendor SDK: it is already a dependency (edge-tts uses it),
it is asyncio-native like the scheduler, and both APIs are one POST each.
"""

from __future__ import annotations

import asyncio
import email.utils
import time

from studio.core.errors import SpeechError
from studio.core.netsafe import REDIRECTS, RedirectRefused, next_hop, redact
from studio.core.secrets import secret
from studio.speech.base import EngineConfigError, TransientSpeechError
from studio.speech.reach import connector_cause, unreachable

RETRY_STATUS = (408, 429, 500, 502, 503, 504)
# The largest answer accepted for a text: BASE_SECONDS + SECONDS_PER_CHAR per character of audio at the
# format's highest byte rate (MP3 at 320 kbps; WAV at 48 kHz, 16-bit, stereo). Far above real speech.
BASE_SECONDS, SECONDS_PER_CHAR = 10, 1
BYTES_PER_SECOND = {"mp3": 40_000, "wav": 192_000}
CHUNK = 64 * 1024


def answer_cap(text: str, fmt: str) -> int:
    """Bytes of audio a speech answer for `text` may have (README: "Speech")."""
    return (BASE_SECONDS + SECONDS_PER_CHAR * len(text)) * BYTES_PER_SECOND.get(fmt, BYTES_PER_SECOND["wav"])


def looks_like_audio(fmt: str, data: bytes) -> bool:
    """Whether `data` starts like an MP3 (an ID3 tag or a frame sync) or a WAV file."""
    if fmt == "wav":
        return data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


async def open_response(session, method: str, url: str, headers: dict[str, str], **body):
    """An aiohttp response; redirects are followed only on the same origin (netsafe), so a
    credential in `headers` never reaches another host. Raises RedirectRefused."""
    for hop in range(10):
        resp = await session.request(method, url, headers=headers, allow_redirects=False, **body)
        if resp.status not in REDIRECTS:
            return resp
        location = resp.headers.get("Location")
        resp.release()
        url = next_hop(url, resp.status, location, method, hop)
    raise RedirectRefused("too many redirects")


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
    return secret(name)


class HttpEngine:
    """Base for engines that POST text and get audio back."""

    checks_coverage = True  # no word timings: each clip's duration is checked against its text
    max_jobs = None  # a service: the gate adapts to it
    key_env = ""  # named in a 401/403 error
    address_keys = "the engine's address"  # named when the service cannot be reached
    fmt = "mp3"

    def __init__(self, timeout: float, secret: str = "") -> None:
        self.timeout = timeout
        self._secret = secret  # never logged: removed from any message we build
        self._session = None
        self._refused: EngineConfigError | None = None

    def _clean(self, text: str) -> str:
        return redact(text, self._secret)

    async def post(self, url: str, headers: dict[str, str], text: str, **body) -> bytes:
        """The audio of a 2xx answer for `text`; raises a SpeechError of the right kind otherwise,
        its message free of the key."""
        if self._refused is not None:  # reported once: no more requests with a refused key
            raise self._refused
        try:
            return await self._post(url, headers, text, **body)
        except EngineConfigError:
            raise
        except TransientSpeechError as e:
            raise TransientSpeechError(self._clean(e.message), e.retry_after) from None
        except SpeechError as e:
            raise SpeechError(self._clean(e.message)) from None

    async def _post(self, url: str, headers: dict[str, str], text: str, **body) -> bytes:
        import aiohttp  # lazy: aiohttp loads only when a network engine speaks

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        cap = answer_cap(text, self.fmt)
        try:
            resp = await open_response(self._session, "POST", url, headers, **body)
            async with resp:
                if resp.status in (401, 403):
                    what = f"the environment variable {self.key_env}" if self.key_env else "the server's settings"
                    self._refused = EngineConfigError(
                        f"{self.label} refused the request (HTTP {resp.status}): check {what}")
                    raise self._refused
                if resp.status in RETRY_STATUS:
                    raise TransientSpeechError(f"HTTP {resp.status} {resp.reason or ''}".strip(),
                                               retry_after_seconds(resp.headers.get("Retry-After")))
                if resp.status >= 300:
                    detail = (await resp.content.read(200)).decode("utf-8", "replace")
                    raise SpeechError(f"HTTP {resp.status} from {self.label}: {detail}")
                data = await self._read_audio(resp, cap, text)
        except SpeechError:
            raise
        except RedirectRefused as e:
            raise SpeechError(f"{self.label}: {e}") from None
        except (asyncio.TimeoutError, TimeoutError):  # before ClientError: aiohttp's timeouts are both
            raise TransientSpeechError(f"no answer within {self.timeout:g} s") from None
        except aiohttp.ClientPayloadError:
            raise TransientSpeechError("the answer was cut short (connection closed mid-body)") from None
        except aiohttp.ClientConnectorError as e:
            cause = connector_cause(e)  # refused, no such name, no route: known now, no retry changes it
            if cause:
                raise unreachable(self.label, cause, f"check the network and {self.address_keys} in show.toml, "
                                                     "or build with the offline voice: --engine espeak") from None
            raise TransientSpeechError(f"cannot connect to {e.host}:{e.port}") from None
        except (aiohttp.ClientError, ConnectionError) as e:
            raise TransientSpeechError(f"connection dropped ({type(e).__name__})") from None
        if not data:
            raise TransientSpeechError("the service sent no audio (empty body)")
        return data

    async def _read_audio(self, resp, cap: int, text: str) -> bytes:
        """The body, read in chunks up to `cap` bytes; an answer that is not audio is an error."""
        too_big = SpeechError(f"{self.label} sent an answer larger than {cap / 1e6:.1f} MB for {len(text)} characters "
                              "of text (more than any speech of it): refused")
        if resp.content_length is not None and resp.content_length > cap:
            raise too_big
        parts, size, checked = [], 0, False
        async for chunk in resp.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > cap:
                raise too_big
            parts.append(chunk)
            if not checked and size >= 12:
                checked = self._check_audio(resp, b"".join(parts))
        data = b"".join(parts)
        if data and not checked:
            self._check_audio(resp, data)
        return data

    def _check_audio(self, resp, head: bytes) -> bool:
        if not looks_like_audio(self.fmt, head):
            ctype = resp.headers.get("Content-Type", "no Content-Type")
            raise SpeechError(f"{self.label} answered {resp.status} with {ctype}, not audio "
                              f"({self.fmt.upper()}): {head[:80].decode('utf-8', 'replace')!r}")
        return True

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
