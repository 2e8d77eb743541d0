"""show.toml: the show's settings, loaded into validated dataclasses.

Each section is a dataclass; add a field (with a default) to add a setting.
Errors name the file, the key and the problem on one line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from studio.errors import ConfigError
from studio.fsutil import read_utf8

SHOW_FILE = "show.toml"
_REQUIRED = "required"


ENGINES = ("edge", "azure", "openai", "espeak")
AZURE_MP3_FORMATS = (
    "audio-24khz-48kbitrate-mono-mp3", "audio-24khz-96kbitrate-mono-mp3", "audio-24khz-160kbitrate-mono-mp3",
    "audio-48khz-96kbitrate-mono-mp3", "audio-48khz-192kbitrate-mono-mp3",
)


@dataclass
class AzureSpeechConfig:
    """[speech.azure]: Azure AI Speech text-to-speech (REST)."""

    region: str = ""  # e.g. "eastasia": https://<region>.tts.speech.microsoft.com
    key_env: str = "STUDIO_AZURE_SPEECH_KEY"  # env var holding the resource key (never the key itself)
    token_env: str = ""  # optional env var holding a bearer token, sent instead of the key
    endpoint: str = ""  # overrides the region's URL (sovereign clouds, tests)
    output_format: str = "audio-24khz-96kbitrate-mono-mp3"


@dataclass
class OpenAISpeechConfig:
    """[speech.openai]: any server speaking OpenAI's POST /v1/audio/speech."""

    base_url: str = ""  # e.g. "https://api.openai.com/v1" or "http://127.0.0.1:8880/v1"
    model: str = "tts-1"
    api_key_env: str = ""  # env var holding the API key ("" for a local server without one)
    response_format: str = "mp3"
    voices: dict[str, str] = field(default_factory=dict)  # Studio voice name -> the server's voice


@dataclass
class SpeechConfig:
    engine: str = "auto"  # auto | edge | azure | openai | espeak
    engines: list[str] = field(default_factory=lambda: ["edge", "espeak"])  # what `auto` tries, in order
    jobs: int = 4  # concurrent requests to the voice service at first
    max_jobs: int = 16  # ... up to this many while the service keeps up (studio.speech.gate)
    cache_dir: str = ".studio-cache"
    rate: str = "+0%"  # speaking rate, e.g. "+10%"
    pitch: str = "+0Hz"
    volume: str = "+0%"
    hosts: list[str] = field(default_factory=list)  # voices alternating item by item
    english_voice: str = ""  # reads Latin-script spans (English headlines) when set
    lexicon: str = "lexicon.toml"  # written form -> spoken form, show-wide
    retries: int = 4  # retries per request on 403/5xx/timeouts/dropped connections
    retry_backoff: float = 0.5  # seconds before the first retry; doubles, with jitter
    timeout: float = 60.0  # seconds for one request
    azure: AzureSpeechConfig = field(default_factory=AzureSpeechConfig)
    openai: OpenAISpeechConfig = field(default_factory=OpenAISpeechConfig)


@dataclass
class AudioConfig:
    gap: float = 0.6  # seconds of silence between items
    bitrate: int = 96  # kbps, CBR
    channels: int = 1  # 1 = mono, 2 = stereo
    sample_rate: int = 44100
    intro: str = "assets/intro.mp3"  # "" = no intro jingle
    outro: str = "assets/outro.mp3"  # "" = no outro jingle
    stinger: str = ""  # short sound between sections; "" = off
    music_under: float = 1.5  # seconds the intro music keeps fading under the first speech
    fade_in: float = 0.0  # fade-in of the intro jingle, seconds
    fade_out: float = 1.0  # fade-out at the end of the outro jingle, seconds
    music_level: float = -4.0  # jingle loudness relative to the speech, LU
    level_items: bool = True  # bring every item's speech to the same loudness
    loudness: float = -16.0  # integrated loudness target, LUFS (-19 is usual for mono)
    true_peak: float = -1.0  # true-peak ceiling, dBTP


@dataclass
class EmailConfig:
    """[email]: the email edition and its senders' identity."""

    from_name: str = ""  # default: the show's title
    from_address: str = ""  # default: owner_email
    reply_to: str = ""
    subject: str = "{title}"  # placeholders: {title} {show} {number} {date}
    unsubscribe_url: str = ""  # https endpoint; "?t=<signed token>" is appended per recipient
    unsubscribe_mailto: str = ""  # default: from_address
    secret_env: str = "STUDIO_UNSUBSCRIBE_SECRET"  # env var holding the token-signing secret
    send_log: str = ".studio-sendlog.sqlite"  # relative to the show root; keep it out of output_dir
    max_html_kb: int = 100  # Gmail clips messages whose HTML is over ~102 KB
    accent: str = "#1d4ed8"  # links and buttons (email and site); darkened/lightened to keep 4.5:1
    postal_address: str = ""  # the sender's postal address in the footer (CAN-SPAM)


@dataclass
class SmtpConfig:
    """[smtp]: the server `studio send` delivers through."""

    host: str = ""
    port: int = 0  # 0: 587 for starttls, 465 for ssl, 25 for none
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    password_env: str = "STUDIO_SMTP_PASSWORD"  # env var holding the password (never a file)
    rate: float = 5.0  # messages per second
    timeout: float = 30.0
    stop_after_refusals: int = 5  # this many refusals in a row with the same reply stop the run


@dataclass
class SubscribersConfig:
    """[subscribers]: the subscriber store and its lifecycle."""

    db: str = ".studio-subscribers.sqlite"  # relative to the show root; must stay outside output_dir
    confirm_hours: float = 48.0  # a confirmation link works this long
    soft_bounce_limit: int = 3  # soft bounces before an address is suppressed as bounced
    max_import_rows: int = 1_000_000  # upper bound for one CSV import


@dataclass
class ListenConfig:
    """[listen]: `studio listen`, the list's web app (subscribe, confirm, unsubscribe)."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # where readers reach it, e.g. https://example.org/list/ (required to listen)
    trusted_proxy: str = ""  # the reverse proxy's IP: only its X-Forwarded-For is believed
    rate_per_ip: int = 5  # subscribe posts per IP per rate_window
    rate_window: float = 3600.0  # seconds


@dataclass
class FeedConfig:
    """[feed]: podcast feed settings (Apple Podcasts, Podcasting 2.0)."""

    type: str = "episodic"  # itunes:type: episodic (newest first) | serial (in order)
    locked: bool = False  # podcast:locked: true = other platforms must not import the feed
    guid: str = ""  # podcast:guid override (a UUID); default: UUIDv5 of the feed URL
    season: int = 0  # itunes:season for episodes that set none (0 = none)
    limit: int = 0  # only the newest N episodes in feed.xml (0 = all)
    complete: bool = False  # itunes:complete: the show has ended
    analytics_prefix: str = ""  # put before enclosure URLs only, e.g. "https://op3.dev/e/"
    hub: str = ""  # WebSub hub: <atom:link rel="hub"> and a ping after each publish
    pubnotify: str = ""  # Podcast Index pubnotify endpoint pinged after each publish


@dataclass
class PublishConfig:
    """[publish]: `studio publish` targets (S3 credentials come from the AWS environment, never from here)."""

    jobs: int = 8  # parallel uploads to S3 (--jobs overrides)
    profile: str = ""  # AWS profile in ~/.aws/config (default: AWS_PROFILE or "default")
    endpoint_url: str = ""  # S3 endpoint (R2, B2, MinIO...); default: AWS_ENDPOINT_URL or AWS
    region: str = ""  # default: AWS_REGION / the profile's region
    multipart_mb: int = 8  # files from this size up are uploaded in parts of this size (min 5)


@dataclass
class SiteConfig:
    """[site]: the web pages."""

    index_episodes: int = 20  # newest episodes with players on index.html; all are in archive.html
    subscribe: dict[str, str] = field(default_factory=dict)  # extra subscribe links: name = URL
    signup_url: str = ""  # https endpoint the email signup form posts `email` to (e.g. `studio listen`'s /subscribe)


@dataclass
class LimitsConfig:
    """[limits]: upper bounds on one script, checked before anything is synthesized."""

    script_kb: int = 1024  # size of the script file, KiB
    items: int = 300  # items (clips, chapters) in one episode
    item_chars: int = 12000  # characters of one item's text (about 40 minutes of speech)
    recording_minutes: int = 180  # length of a host's recording (front matter `recording`)


@dataclass
class AssistConfig:
    """[assist]: an optional OpenAI-compatible chat model that proposes story boundaries and titles."""

    enabled: bool = False
    base_url: str = ""  # e.g. http://127.0.0.1:11434/v1 (Ollama), https://api.openai.com/v1
    model: str = ""
    api_key_env: str = ""  # env var holding the API key ("" for a local server without one)
    timeout: float = 60.0  # seconds for the whole answer
    cache_dir: str = ".studio-cache/assist"  # answers by content, relative to the show root


@dataclass
class Show:
    title: str = field(default=_REQUIRED)
    description: str = field(default=_REQUIRED)
    author: str = field(default=_REQUIRED)
    owner_email: str = field(default=_REQUIRED)
    base_url: str = field(default=_REQUIRED)
    language: str = "zh-CN"
    cover: str = "assets/cover.jpg"
    category: str = "Technology"
    subcategory: str = ""
    explicit: bool = False
    voice: str = "zh-CN-XiaoxiaoNeural"
    output_dir: str = "public"
    copyright: str = ""
    media_base_url: str = ""  # audio, clips, images, chapters, transcripts from here (a CDN); default base_url
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    subscribers: SubscribersConfig = field(default_factory=SubscribersConfig)
    listen: ListenConfig = field(default_factory=ListenConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    assist: AssistConfig = field(default_factory=AssistConfig)
    # where show.toml was read from; relative paths resolve against it
    root: Path = field(default=Path("."), metadata={"internal": True})
    file: Path = field(default=Path(SHOW_FILE), metadata={"internal": True})  # the show.toml it came from

    def path(self, rel: str | Path) -> Path:
        return (self.root / rel).resolve()

    @property
    def out_dir(self) -> Path:
        return self.path(self.output_dir)

    @property
    def site_url(self) -> str:
        return self.base_url.rstrip("/") + "/"

    @property
    def media_url(self) -> str:
        return (self.media_base_url or self.base_url).rstrip("/") + "/"


_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def _check_assist(assist: AssistConfig, path: Path) -> None:
    if assist.enabled and not (assist.base_url.startswith(("http://", "https://")) and assist.model):
        raise ConfigError("assist.enabled needs assist.base_url (http:// or https://) and assist.model", path)
    if assist.timeout <= 0:
        raise ConfigError("assist.timeout must be more than 0 seconds", path)


def _check_show(show: Show, path: Path) -> None:
    if not show.base_url.startswith(("https://", "http://")):
        raise ConfigError(f"key 'base_url': must be an absolute URL, got {show.base_url!r}", path)
    if not _EMAIL.match(show.owner_email):
        raise ConfigError(f"key 'owner_email': not an email address: {show.owner_email!r}", path)
    if show.speech.engine not in ("auto", *ENGINES):
        raise ConfigError(
            f"key 'speech.engine': must be auto, {', '.join(ENGINES)}, got {show.speech.engine!r}", path
        )
    _check_speech(show.speech, path)
    check_audio(show.audio, path)
    _check_email(show, path)
    _check_subscribers(show, path)
    _check_feed_settings(show, path)
    _check_limits(show.limits, path)
    _check_assist(show.assist, path)


_LIMIT_RANGES = {"script_kb": (1, 100_000), "items": (1, 10_000), "item_chars": (100, 1_000_000),
                 "recording_minutes": (1, 1440)}


def _check_limits(limits: LimitsConfig, path: Path) -> None:
    for key, (low, high) in _LIMIT_RANGES.items():
        if not low <= getattr(limits, key) <= high:
            raise ConfigError(f"key 'limits.{key}': must be between {low} and {high}, got {getattr(limits, key)}", path)


def _check_email(show: Show, path: Path) -> None:
    e, s = show.email, show.smtp
    for key in ("from_address", "reply_to"):
        value = getattr(e, key)
        if value and not _EMAIL.match(value):
            raise ConfigError(f"key 'email.{key}': not an email address: {value!r}", path)
    if e.unsubscribe_url and not _https_or_loopback(e.unsubscribe_url):
        raise ConfigError(f"key 'email.unsubscribe_url': must be an https:// URL, got {e.unsubscribe_url!r}", path)
    mailto = e.unsubscribe_mailto.removeprefix("mailto:")
    if mailto and not _EMAIL.match(mailto.split("?")[0]):
        raise ConfigError(f"key 'email.unsubscribe_mailto': not an email address: {e.unsubscribe_mailto!r}", path)
    try:
        e.subject.format(title="", show="", number="", date="")
    except (KeyError, IndexError, ValueError) as err:
        raise ConfigError(f"key 'email.subject': bad placeholder {err} (use {{title}} {{show}} {{number}} {{date}})", path) from None
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", e.accent):
        raise ConfigError(f"key 'email.accent': must be a colour like '#1d4ed8', got {e.accent!r}", path)
    if len(e.postal_address) > 300:
        raise ConfigError("key 'email.postal_address': at most 300 characters", path)
    if e.max_html_kb < 10:
        raise ConfigError("key 'email.max_html_kb': must be at least 10", path)
    if s.security not in ("starttls", "ssl", "none"):
        raise ConfigError(f"key 'smtp.security': must be starttls, ssl or none, got {s.security!r}", path)
    if not 0 <= s.port <= 65535:
        raise ConfigError(f"key 'smtp.port': not a port number: {s.port}", path)
    if s.stop_after_refusals < 1:
        raise ConfigError("key 'smtp.stop_after_refusals': must be at least 1", path)
    if s.rate <= 0:
        raise ConfigError("key 'smtp.rate': must be positive (messages per second)", path)


def _https_or_loopback(url: str) -> bool:
    """https, or plain http to this machine only (a test or a local preview)."""
    from urllib.parse import urlsplit

    if url.startswith("https://"):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _check_subscribers(show: Show, path: Path) -> None:
    sub, lis = show.subscribers, show.listen
    db = show.path(sub.db)
    if db == show.out_dir or show.out_dir in db.parents:
        raise ConfigError(f"key 'subscribers.db': the subscriber store must stay outside output_dir, got {sub.db!r}", path)
    if not 0 < sub.confirm_hours <= 24 * 30:
        raise ConfigError("key 'subscribers.confirm_hours': must be between 0 and 720", path)
    if not 1 <= sub.soft_bounce_limit <= 100:
        raise ConfigError("key 'subscribers.soft_bounce_limit': must be between 1 and 100", path)
    if sub.max_import_rows < 1:
        raise ConfigError("key 'subscribers.max_import_rows': must be at least 1", path)
    if not 0 <= lis.port <= 65535:
        raise ConfigError(f"key 'listen.port': not a port number: {lis.port}", path)
    if lis.public_url and not _https_or_loopback(lis.public_url):
        raise ConfigError(f"key 'listen.public_url': must be an https:// URL, got {lis.public_url!r}", path)
    if lis.trusted_proxy:
        import ipaddress

        try:
            ipaddress.ip_address(lis.trusted_proxy)
        except ValueError:
            raise ConfigError(f"key 'listen.trusted_proxy': not an IP address: {lis.trusted_proxy!r}", path) from None
    if lis.rate_per_ip < 1 or lis.rate_window <= 0:
        raise ConfigError("keys 'listen.rate_per_ip'/'listen.rate_window': must be positive", path)
    if lis.public_url and not show.email.unsubscribe_url:  # the list app serves the one-click endpoint
        show.email.unsubscribe_url = lis.public_url.rstrip("/") + "/unsubscribe"


_PROSODY = {"rate": r"[+-]\d+%", "volume": r"[+-]\d+%", "pitch": r"[+-]\d+Hz"}


def _check_speech(speech: SpeechConfig, path: Path) -> None:
    if not 1 <= speech.jobs <= 64:
        raise ConfigError("key 'speech.jobs': must be between 1 and 64", path)
    if not speech.jobs <= speech.max_jobs <= 64:
        raise ConfigError(f"key 'speech.max_jobs': must be between speech.jobs ({speech.jobs}) and 64", path)
    for key, pattern in _PROSODY.items():
        value = getattr(speech, key)
        if not re.fullmatch(pattern, value):
            example = {"rate": "+10%", "volume": "-5%", "pitch": "+0Hz"}[key]
            raise ConfigError(f"key 'speech.{key}': must look like {example!r}, got {value!r}", path)
    if speech.retries < 0:
        raise ConfigError("key 'speech.retries': must not be negative", path)
    if speech.retry_backoff < 0 or speech.timeout <= 0:
        raise ConfigError("keys 'speech.retry_backoff'/'speech.timeout': must be positive", path)
    bad = [e for e in speech.engines if e not in ENGINES]
    if bad or not speech.engines or len(set(speech.engines)) != len(speech.engines):
        raise ConfigError(f"key 'speech.engines': a list of distinct engines from {', '.join(ENGINES)}, "
                          f"got {speech.engines!r}", path)
    _check_speech_services(speech, path)


def _check_speech_services(speech: SpeechConfig, path: Path) -> None:
    az, oa = speech.azure, speech.openai
    if az.output_format not in AZURE_MP3_FORMATS:
        raise ConfigError(f"key 'speech.azure.output_format': must be an MP3 format at 24 kHz or more "
                          f"({', '.join(AZURE_MP3_FORMATS)}), got {az.output_format!r}", path)
    if az.region and not re.fullmatch(r"[a-z0-9]+", az.region):
        raise ConfigError(f"key 'speech.azure.region': a region name like 'eastasia', got {az.region!r}", path)
    for key, url in (("azure.endpoint", az.endpoint), ("openai.base_url", oa.base_url)):
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError(f"key 'speech.{key}': must be an http(s) URL, got {url!r}", path)
    for key, name in (("azure.key_env", az.key_env), ("azure.token_env", az.token_env),
                      ("openai.api_key_env", oa.api_key_env)):
        if name and (not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or re.fullmatch(r"[0-9a-fA-F]{32,}", name)):
            raise ConfigError(f"key 'speech.{key}': the NAME of an environment variable, got {name!r} "
                              "(never put the key itself in show.toml)", path)
    if oa.response_format not in ("mp3", "wav"):
        raise ConfigError(f"key 'speech.openai.response_format': must be mp3 or wav, got {oa.response_format!r}", path)
    for studio_voice, server_voice in oa.voices.items():
        if not isinstance(server_voice, str) or not server_voice.strip():
            raise ConfigError(f"key 'speech.openai.voices.{studio_voice}': must be the server's voice name", path)




def _check_feed_settings(show: Show, path: Path) -> None:
    import uuid

    from studio.feed.categories import category_problem

    problem = category_problem(show.category, show.subcategory)
    if problem:
        raise ConfigError(problem, path)
    if show.feed.type not in ("episodic", "serial"):
        raise ConfigError(f"key 'feed.type': must be episodic or serial, got {show.feed.type!r}", path)
    if show.feed.guid:
        try:
            uuid.UUID(show.feed.guid)
        except ValueError:
            raise ConfigError(f"key 'feed.guid': not a UUID: {show.feed.guid!r}", path) from None
    _check_publish_settings(show, path)
    for key in ("season", "limit"):
        if getattr(show.feed, key) < 0:
            raise ConfigError(f"key 'feed.{key}': must not be negative", path)
    if show.site.index_episodes < 1:
        raise ConfigError("key 'site.index_episodes': must be at least 1", path)
    if show.site.signup_url and not show.site.signup_url.startswith("https://"):
        raise ConfigError(f"key 'site.signup_url': must be an https:// URL, got {show.site.signup_url!r}", path)
    for name, url in show.site.subscribe.items():
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ConfigError(f"key 'site.subscribe.{name}': must be an http(s) URL, got {url!r}", path)


def _check_publish_settings(show: Show, path: Path) -> None:
    urls = {"media_base_url": show.media_base_url, "feed.analytics_prefix": show.feed.analytics_prefix,
            "feed.hub": show.feed.hub, "feed.pubnotify": show.feed.pubnotify,
            "publish.endpoint_url": show.publish.endpoint_url}
    for key, url in urls.items():
        if url and (not url.startswith(("https://", "http://")) or any(c.isspace() for c in url)):
            raise ConfigError(f"key '{key}': must be an http(s) URL, got {url!r}", path)
    if show.feed.analytics_prefix and not show.feed.analytics_prefix.endswith("/"):
        raise ConfigError("key 'feed.analytics_prefix': must end with '/', e.g. 'https://op3.dev/e/'", path)
    if not 1 <= show.publish.jobs <= 64:
        raise ConfigError("key 'publish.jobs': must be between 1 and 64", path)
    if not 5 <= show.publish.multipart_mb <= 5000:
        raise ConfigError("key 'publish.multipart_mb': must be between 5 and 5000 (MB)", path)


MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def check_audio(audio: AudioConfig, path: Path, prefix: str = "audio.") -> None:
    """Range checks for an [audio] table (show.toml or an episode's front matter)."""
    def bad(key: str, problem: str) -> ConfigError:
        return ConfigError(f"key '{prefix}{key}': {problem}", path)

    for key in ("gap", "music_under", "fade_in", "fade_out"):
        if not 0 <= getattr(audio, key) <= 60:
            raise bad(key, f"must be between 0 and 60 seconds, got {getattr(audio, key)}")
    if audio.bitrate not in MP3_BITRATES:
        raise bad("bitrate", f"must be an MP3 bitrate ({', '.join(map(str, MP3_BITRATES))}), got {audio.bitrate}")
    if audio.channels not in (1, 2):
        raise bad("channels", f"must be 1 (mono) or 2 (stereo), got {audio.channels}")
    if audio.sample_rate not in (44100, 48000):
        raise bad("sample_rate", f"must be 44100 or 48000, got {audio.sample_rate}")
    if not -30 <= audio.loudness <= -10:
        raise bad("loudness", f"must be between -30 and -10 LUFS, got {audio.loudness}")
    if not -9 <= audio.true_peak <= 0:
        raise bad("true_peak", f"must be between -9 and 0 dBTP, got {audio.true_peak}")
    if not -30 <= audio.music_level <= 10:
        raise bad("music_level", f"must be between -30 and 10 LU, got {audio.music_level}")


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        (arg,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(arg is Any or _type_ok(v, arg) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if hint is Any:
        return True
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        hint, str(hint).replace("typing.", "")
    )


def load_section(cls: type, data: dict[str, Any], path: Path, prefix: str = "") -> Any:
    """Build dataclass `cls` from a TOML table, checking keys and types."""
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"key '{prefix}{key}': unknown setting{hint}", path)
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        hint = hints[name]
        if name not in data:
            if f.default == _REQUIRED:
                raise ConfigError(f"key '{prefix}{name}': missing (required)", path)
            continue
        value = data[name]
        if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
            if not isinstance(value, dict):
                raise ConfigError(f"key '{prefix}{name}': must be a table [{prefix}{name}]", path)
            kwargs[name] = load_section(hint, value, path, f"{prefix}{name}.")
            continue
        if not _type_ok(value, hint):
            raise ConfigError(
                f"key '{prefix}{name}': must be {_type_name(hint)}, got {value!r}", path
            )
        if hint is float:
            value = float(value)
        if isinstance(value, str) and f.default == _REQUIRED and not value.strip():
            raise ConfigError(f"key '{prefix}{name}': must not be empty", path)
        kwargs[name] = value
    return cls(**kwargs)


def read_toml(path: Path) -> dict[str, Any]:
    text = read_utf8(path, ConfigError)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        msg = re.sub(r"\s*\(at line.*\)", "", str(e))
        raise ConfigError(f"TOML syntax error: {msg}", path, int(m.group(1)) if m else None) from None


def find_show_file(start: Path) -> Path:
    """show.toml in `start` or the nearest parent that has one."""
    start = start.resolve()
    for d in [start, *start.parents]:
        if (d / SHOW_FILE).is_file():
            return d / SHOW_FILE
    raise ConfigError(f"no {SHOW_FILE} here or in any parent directory", start)


def load_show(path: Path) -> Show:
    path = Path(path)
    data = read_toml(path)
    show = load_section(Show, data, path)
    show.root = path.resolve().parent
    show.file = path.resolve()
    _check_show(show, path)
    return show
