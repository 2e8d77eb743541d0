"""Any server speaking OpenAI's speech API: OpenAI itself, Kokoro-FastAPI,
openedai-speech, LocalAI. POST <base_url>/audio/speech with a JSON body
{model, voice, input, response_format[, speed]} and a bearer key; the answer is
the audio. Studio's voice names are mapped to the server's by [speech.openai] voices.
"""

from __future__ import annotations

import json

from studio.core.config import OpenAISpeechConfig
from studio.speech.align import rate_factor
from studio.speech.base import Clip, VoiceSettings
from studio.speech.http import HttpEngine, env_secret


def openai_problem(cfg: OpenAISpeechConfig, voices: list[str]) -> str | None:
    """What keeps the engine from being tried, from the settings alone."""
    if not cfg.base_url:
        return "set speech.openai.base_url in show.toml"
    if cfg.api_key_env and not env_secret(cfg.api_key_env):
        return f"the environment variable {cfg.api_key_env} (the API key) is not set"
    unmapped = [v for v in dict.fromkeys(voices) if v not in cfg.voices]
    if unmapped:
        return f"no server voice for {', '.join(unmapped)}: add it to [speech.openai] voices in show.toml"
    return None


def openai_version(cfg: OpenAISpeechConfig) -> str:
    """Model, format and voice map: changing any of them re-synthesizes."""
    return json.dumps([cfg.model, cfg.response_format, sorted(cfg.voices.items())], ensure_ascii=False)


class OpenAIEngine(HttpEngine):
    name = "openai"
    label = "the OpenAI-compatible speech server"
    address_keys = "speech.openai.base_url"

    def __init__(self, cfg: OpenAISpeechConfig, timeout: float = 60.0) -> None:
        super().__init__(timeout, secret=env_secret(cfg.api_key_env))
        self.key_env = cfg.api_key_env
        self.cfg = cfg
        self.fmt = cfg.response_format
        self.url = cfg.base_url.rstrip("/") + "/audio/speech"
        self.version = openai_version(cfg)

    async def synthesize(self, text: str, voice: VoiceSettings) -> Clip:
        body = {"model": self.cfg.model, "voice": self.cfg.voices[voice.voice], "input": text,
                "response_format": self.cfg.response_format}
        speed = rate_factor(voice.rate)
        if speed != 1.0:
            body["speed"] = round(min(4.0, speed), 2)
        headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
        audio = await self.post(self.url, headers, text, json=body)
        return Clip(audio=audio, fmt=self.fmt, engine=self.name)


def openai_voices(cfg: OpenAISpeechConfig) -> list[dict[str, str]]:
    """The configured map, in the shape `studio voices` prints."""
    return [{"ShortName": studio, "Locale": "-".join(studio.split("-")[:2]), "Gender": "",
             "FriendlyName": f"-> {server} ({cfg.model})"} for studio, server in cfg.voices.items()]
