"""Azure AI Speech text-to-speech over REST: the Edge voice names under a key and an SLA.

POST <base>/cognitiveservices/v1 with an SSML body, the key in
Ocp-Apim-Subscription-Key (or a bearer token) and X-Microsoft-OutputFormat;
the answer is the audio. GET <base>/cognitiveservices/voices/list lists voices.
"""

from __future__ import annotations

import asyncio
import json
from xml.sax.saxutils import escape, quoteattr

from studio.core.config import AzureSpeechConfig
from studio.core.netsafe import RedirectRefused
from studio.speech.base import Clip, VoiceSettings
from studio.speech.http import HttpEngine, env_secret, open_response

USER_AGENT = "studio-podcast"
MAX_VOICE_LIST = 20 * 1024 * 1024  # bytes; the real list is about 1 MB


SPEAK_PATH = "/cognitiveservices/v1"
VOICES_PATH = "/cognitiveservices/voices/list"


def azure_base(cfg: AzureSpeechConfig) -> str:
    """The resource's base URL. `endpoint` may be the base or a full URL as Azure's pages show it
    (`…/cognitiveservices/v1`, or the voice list's): the API's path is taken off."""
    if cfg.endpoint:
        base = cfg.endpoint.split("?", 1)[0].rstrip("/")
        for path in (SPEAK_PATH, VOICES_PATH):
            if base.lower().endswith(path):
                return base[: -len(path)]
        return base
    return f"https://{cfg.region}.tts.speech.microsoft.com" if cfg.region else ""


def azure_problem(cfg: AzureSpeechConfig) -> str | None:
    """What keeps the engine from being tried, from the settings alone."""
    if not azure_base(cfg):
        return "set speech.azure.region (or speech.azure.endpoint) in show.toml"
    if not env_secret(cfg.key_env) and not env_secret(cfg.token_env):
        return f"the environment variable {cfg.key_env} (the Azure Speech key) is not set"
    return None


def build_ssml(text: str, voice: VoiceSettings) -> str:
    """The SSML edge-tts sends, for one voice with its prosody."""
    return (
        f"<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang={quoteattr(voice.language)}>"
        f"<voice name={quoteattr(voice.voice)}><prosody pitch={quoteattr(voice.pitch)} rate={quoteattr(voice.rate)} "
        f"volume={quoteattr(voice.volume)}>{escape(text)}</prosody></voice></speak>"
    )


def auth_headers(cfg: AzureSpeechConfig) -> dict[str, str]:
    token = env_secret(cfg.token_env)
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {"Ocp-Apim-Subscription-Key": env_secret(cfg.key_env)}


class AzureEngine(HttpEngine):
    name = "azure"
    label = "Azure Speech"
    address_keys = "speech.azure.region (or endpoint)"
    fmt = "mp3"

    def __init__(self, cfg: AzureSpeechConfig, timeout: float = 60.0) -> None:
        self.key_env = cfg.token_env if env_secret(cfg.token_env) else cfg.key_env
        super().__init__(timeout, secret=env_secret(self.key_env))
        self.cfg = cfg
        self.url = azure_base(cfg) + SPEAK_PATH
        self.version = azure_version(cfg)

    async def synthesize(self, text: str, voice: VoiceSettings) -> Clip:
        headers = {
            **auth_headers(self.cfg),
            "Content-Type": "application/ssml+xml",
            "X-Microsoft-OutputFormat": self.cfg.output_format,
            "User-Agent": USER_AGENT,
        }
        audio = await self.post(self.url, headers, text, data=build_ssml(text, voice).encode("utf-8"))
        return Clip(audio=audio, fmt="mp3", engine=self.name)


def azure_version(cfg: AzureSpeechConfig) -> str:
    return f"azure-rest {cfg.output_format}"


def fetch_azure_voices(cfg: AzureSpeechConfig, timeout: float = 10.0) -> list[dict[str, str]]:
    """The resource's voice list, in the shape `studio voices` prints. OSError (its message free of
    the key) when it cannot be had: no answer, a refusal, a redirect elsewhere, not a JSON list."""
    engine = AzureEngine(cfg, timeout)

    async def get() -> bytes:
        import aiohttp  # lazy: aiohttp loads only when the voice list is fetched

        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s:
                r = await open_response(s, "GET", azure_base(cfg) + VOICES_PATH,
                                        {**auth_headers(cfg), "User-Agent": USER_AGENT})
                async with r:
                    if r.status in (401, 403):
                        raise OSError(f"HTTP {r.status}: check the environment variable {engine.key_env}")
                    if r.status >= 300:
                        raise OSError(f"HTTP {r.status} {r.reason or ''}".strip())
                    if r.content_length is not None and r.content_length > MAX_VOICE_LIST:
                        raise OSError("the voice list is larger than 20 MB")
                    data = await r.content.read(MAX_VOICE_LIST + 1)
                    if len(data) > MAX_VOICE_LIST:
                        raise OSError("the voice list is larger than 20 MB")
                    return data
        except RedirectRefused as e:
            raise OSError(str(e)) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            raise OSError(f"{type(e).__name__}: {e}".rstrip(": ")) from None

    try:
        data = json.loads(asyncio.run(get()))
    except OSError as e:
        raise OSError(engine._clean(str(e))) from None
    except (ValueError, RecursionError):
        raise OSError(f"{engine.label} answered something that is not a voice list (JSON)") from None
    if not isinstance(data, list):
        raise OSError(f"{engine.label} answered something that is not a voice list (JSON)")
    return [
        {"ShortName": v.get("ShortName", ""), "Locale": v.get("Locale", ""), "Gender": v.get("Gender", ""),
         "FriendlyName": f"{v.get('DisplayName', '')} ({v.get('LocalName', '')}) - {v.get('LocaleName', '')}"}
        for v in data if isinstance(v, dict) and v.get("ShortName")
    ]
