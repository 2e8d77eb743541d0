"""Offline voice: espeak-ng through ctypes (library and data from espeakng-loader)."""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import os
import pickle
import threading
from importlib import metadata

from studio.core.errors import SpeechError
from studio.speech.assemble import pcm_wav
from studio.speech.base import Boundary, Clip, VoiceSettings

_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_EV_LIST_END, _EV_WORD, _EV_SENTENCE = 0, 1, 2
_RATE, _VOLUME, _PITCH = 1, 2, 3
_DONT_EXIT = 0x8000
_LANG_VOICES = {"zh": "cmn", "en": "en-us", "ja": "ja", "ko": "ko", "fr": "fr", "de": "de", "es": "es"}
_FALLBACK_VOICE = "en-us"  # reads a voice name of any other language


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


class _Voice(ctypes.Structure):
    """espeak_VOICE: `languages` is a run of (priority byte, name, NUL), ended by a zero priority."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class _Espeak:
    """The library is a process-wide singleton and not thread-safe: one lock guards it."""

    def __init__(self) -> None:
        import espeakng_loader  # lazy: the espeak-ng library is found only when it speaks

        self.lib = espeakng_loader.load_library()
        data = espeakng_loader.get_data_path().encode()
        self.rate = self.lib.espeak_Initialize(_SYNCHRONOUS, 0, data, _DONT_EXIT)
        if self.rate <= 0:
            raise SpeechError("espeak-ng failed to initialise (data files missing?)")
        self.version = self._version()
        self.lock = threading.Lock()
        self._pcm: list[bytes] = []
        self._events: list[tuple[int, int, int, int]] = []
        self._cb = _CALLBACK(self._on_audio)  # keep a reference: ctypes won't
        self.lib.espeak_SetSynthCallback(self._cb)

    def _version(self) -> str:
        fn = self.lib.espeak_Info
        fn.restype = ctypes.c_char_p
        return (fn(None) or b"?").decode()

    def voices(self) -> list[tuple[str, str, int, list[str]]]:
        """Every installed voice: (identifier, name, gender 0/1/2, languages by priority)."""
        fn = self.lib.espeak_ListVoices
        fn.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        found = []
        with self.lock:
            table = fn(None)
            for i in itertools.count():
                if not table[i]:
                    break
                v = table[i].contents
                langs, at = [], v.languages
                while ctypes.string_at(at, 1)[0]:
                    lang = ctypes.string_at(at + 1)
                    langs.append(lang.decode("ascii", "replace"))
                    at += 2 + len(lang)
                found.append((v.identifier.decode("utf-8", "replace"), v.name.decode("utf-8", "replace"), v.gender, langs))
        return found

    def _on_audio(self, wav, n, events) -> int:
        if n > 0:
            self._pcm.append(ctypes.string_at(wav, n * 2))
        i = 0
        while events[i].type != _EV_LIST_END:
            e = events[i]
            if e.type in (_EV_WORD, _EV_SENTENCE):
                self._events.append((e.type, e.text_position, e.length, e.audio_position))
            i += 1
        return 0

    def synth(self, text: str, voice: str, rate: int) -> tuple[bytes, list[tuple[int, int, int, int]]]:
        """Synthesize in a forked child of the pristine, never-used engine.

        espeak-ng keeps state between utterances (pitch flutter, filters), so the
        same text spoken twice in one process differs slightly. A child forked
        from the untouched engine makes each clip a pure function of its text
        and voice (identical on rebuild), and lets clips render on all cores.
        """
        with self.lock:  # fork from one thread at a time
            read_fd, write_fd = os.pipe()
            pid = os.fork()
        if pid == 0:  # child: speak, send the result, exit without cleanup
            try:
                os.close(read_fd)
                payload = pickle.dumps(self._speak(text, voice, rate))
                with os.fdopen(write_fd, "wb") as f:
                    f.write(payload)
                os._exit(0)
            except BaseException:
                os._exit(1)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as f:
            payload = f.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0 or not payload:
            raise SpeechError(f"espeak-ng failed to speak (voice {voice!r})")
        result = pickle.loads(payload)
        if isinstance(result, str):
            raise SpeechError(result)
        return result

    def _speak(self, text: str, voice: str, rate: int):
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            return f"espeak-ng has no voice {voice!r}"
        self.lib.espeak_SetParameter(_RATE, rate, 0)
        self._pcm, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        err = self.lib.espeak_Synth(data, len(data), 0, 0, 0, _CHARS_UTF8, None, None)
        if err != 0:
            return f"espeak-ng synthesis failed (error {err})"
        self.lib.espeak_Synchronize()
        return b"".join(self._pcm), self._events


_instance: _Espeak | None = None
_instance_lock = threading.Lock()


def _espeak() -> _Espeak:
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = _Espeak()
        return _instance


def espeak_voice_for(voice: VoiceSettings) -> str:
    """Map an Edge voice name (zh-CN-XiaoxiaoNeural) or an espeak name to an espeak voice."""
    name = voice.voice
    if not name.endswith("Neural"):
        return name
    return _LANG_VOICES.get(name.split("-")[0].lower(), _FALLBACK_VOICE)


GENDERS = {1: "Male", 2: "Female"}


def espeak_voices() -> list[dict[str, str]]:
    """The offline voices, in the shape `studio voices` prints: ShortName is what espeak-ng is asked
    for, Locale its first language; `Used for` names the languages of Studio's voice names it reads."""
    readers: dict[str, list[str]] = {}
    for lang, voice in _LANG_VOICES.items():
        readers.setdefault(voice, []).append(f"{lang}-*")
    found = []
    for identifier, name, gender, langs in _espeak().voices():
        short = identifier.rsplit("/", 1)[-1]
        used = readers.get(short.lower(), [])
        note = f" — reads {', '.join(used)} voices" if used else ""
        if short.lower() == _FALLBACK_VOICE:
            mapped = ", ".join(lang for lang in _LANG_VOICES if _LANG_VOICES[lang] != _FALLBACK_VOICE)
            note += f", and every voice in a language other than {mapped}"
        found.append({"ShortName": short, "Locale": langs[0] if langs else short, "Gender": GENDERS.get(gender, ""),
                      "FriendlyName": name + note, "Languages": langs})
    return found


def _words_per_minute(rate: str) -> int:
    try:
        pct = int(rate.strip().rstrip("%"))
    except ValueError:
        pct = 0
    return max(80, min(450, round(175 * (1 + pct / 100))))


def espeak_version() -> str:
    """Without loading the library (a fully cached build stays fast)."""
    try:
        return "espeakng-loader " + metadata.version("espeakng-loader")
    except metadata.PackageNotFoundError:
        return "espeak-ng"


class EspeakEngine:
    name = "espeak"
    fmt = "wav"
    checks_coverage = False  # a local library: it never cuts a clip short
    max_jobs = os.cpu_count() or 1  # one forked synthesis per core: more only fight for them

    def __init__(self) -> None:
        self.version = _espeak().version

    @property
    def sample_rate(self) -> int:
        return _espeak().rate

    def synthesize_sync(self, text: str, voice: VoiceSettings) -> Clip:
        es = _espeak()
        pcm, events = es.synth(text, espeak_voice_for(voice), _words_per_minute(voice.rate))
        if not pcm:
            raise SpeechError("espeak-ng produced no audio")
        chars = list(text)
        bounds = []
        for kind, pos, length, ms in events:
            start = max(pos - 1, 0)  # espeak counts characters from 1
            bounds.append(
                Boundary(
                    kind="word" if kind == _EV_WORD else "sentence",
                    offset_ms=float(ms),
                    duration_ms=0.0,
                    text="".join(chars[start : start + length]),
                )
            )
        total_ms = len(pcm) / 2 / es.rate * 1000
        words = [b for b in bounds if b.kind == "word"]
        for b, nxt in zip(words, words[1:] + [None]):
            b.duration_ms = max(0.0, (nxt.offset_ms if nxt else total_ms) - b.offset_ms)
        return Clip(audio=pcm_wav(pcm, es.rate), fmt="wav", boundaries=bounds, engine=self.name)

    async def synthesize(self, text: str, voice: VoiceSettings) -> Clip:
        return await asyncio.to_thread(self.synthesize_sync, text, voice)
