"""show.toml's sections as dataclasses: each setting with its default, its meaning and its checks.

Add a setting by adding a field. Rules between settings (one bounded by another) are each
section's `relations`; the Show adds the ones that span sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from studio.core.config.categories import category_problem
from studio.core.config.checks import (
    a_uuid,
    at_least,
    at_most_chars,
    between,
    clock_time,
    colour,
    each_value,
    email_address,
    env_name,
    https_or_loopback,
    https_url,
    ip_address,
    looks_like,
    not_negative,
    one_of,
    placeholders,
    port,
    positive,
    setting,
    time_zone,
    web_url,
)

SHOW_FILE = "show.toml"
REQUIRED = "required"  # the default of a setting show.toml must give

AZURE_MP3_FORMATS = (
    "audio-24khz-48kbitrate-mono-mp3", "audio-24khz-96kbitrate-mono-mp3", "audio-24khz-160kbitrate-mono-mp3",
    "audio-48khz-96kbitrate-mono-mp3", "audio-48khz-192kbitrate-mono-mp3",
)
MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
Relation = tuple[str, str]  # (key, problem): a rule between settings that does not hold


@dataclass
class AzureSpeechConfig:
    """[speech.azure]: Azure AI Speech text-to-speech (REST)."""

    region: str = setting("", looks_like(r"|[a-z0-9]+", "eastasia"))  # https://<region>.tts.speech.microsoft.com
    key_env: str = setting("STUDIO_AZURE_SPEECH_KEY", env_name())  # env var holding the resource key
    token_env: str = setting("", env_name())  # optional env var holding a bearer token, sent instead of the key
    endpoint: str = setting("", web_url())  # overrides the region's URL (sovereign clouds, tests)
    output_format: str = setting("audio-24khz-96kbitrate-mono-mp3",
                                 one_of(*AZURE_MP3_FORMATS, what="an MP3 format at 24 kHz or more"))


@dataclass
class OpenAISpeechConfig:
    """[speech.openai]: any server speaking OpenAI's POST /v1/audio/speech."""

    base_url: str = setting("", web_url())  # e.g. "https://api.openai.com/v1" or "http://127.0.0.1:8880/v1"
    model: str = "tts-1"
    api_key_env: str = setting("", env_name())  # env var holding the API key ("" for a local server without one)
    response_format: str = setting("mp3", one_of("mp3", "wav"))
    voices: dict[str, str] = setting({}, each_value(looks_like(r".*\S.*", "the server's voice name")))


START_JOBS = 16  # requests at once at the start of a build (halved at the first refusal)


@dataclass
class SpeechConfig:
    engine: str = "auto"  # auto | a name of studio.speech.engines (checked there: the registry is its owner)
    engines: list[str] = field(default_factory=lambda: ["edge", "espeak"])  # what `auto` tries, in order
    jobs: int = setting(START_JOBS, between(1, 64))  # concurrent requests to the voice service at first (<= max_jobs)
    max_jobs: int = setting(16, between(1, 64))  # ... up to this many while the service keeps up
    cache_dir: str = ".studio-cache"
    rate: str = setting("+0%", looks_like(r"[+-]\d+%", "+10%"))  # speaking rate
    pitch: str = setting("+0Hz", looks_like(r"[+-]\d+Hz", "+0Hz"))
    volume: str = setting("+0%", looks_like(r"[+-]\d+%", "-5%"))
    hosts: list[str] = field(default_factory=list)  # voices alternating item by item
    english_voice: str = ""  # reads Latin-script spans (English headlines) when set
    lexicon: str = "lexicon.toml"  # written form -> spoken form, show-wide
    retries: int = setting(4, not_negative())  # retries per request on 403/5xx/timeouts/dropped connections
    retry_backoff: float = setting(0.5, not_negative())  # seconds before the first retry; doubles, with jitter
    timeout: float = setting(60.0, positive("seconds"))  # seconds for one request
    azure: AzureSpeechConfig = field(default_factory=AzureSpeechConfig)
    openai: OpenAISpeechConfig = field(default_factory=OpenAISpeechConfig)

    def relations(self) -> Iterator[Relation]:
        if self.jobs != START_JOBS and self.max_jobs < self.jobs:  # under the default start, max_jobs lowers it
            yield "speech.max_jobs", f"must be between speech.jobs ({self.jobs}) and 64"


@dataclass
class AudioConfig:
    """[audio] in show.toml, or an episode's `audio` front matter."""

    gap: float = setting(0.6, between(0, 60, " seconds"))  # silence between items
    bitrate: int = setting(96, one_of(*MP3_BITRATES, what="an MP3 bitrate"))  # kbps, CBR
    channels: int = setting(1, one_of(1, 2, what="1 (mono) or 2 (stereo)"))
    sample_rate: int = setting(44100, one_of(44100, 48000))
    intro: str = "assets/intro.mp3"  # "" = no intro jingle
    outro: str = "assets/outro.mp3"  # "" = no outro jingle
    stinger: str = ""  # short sound between sections; "" = off
    music_under: float = setting(1.5, between(0, 60, " seconds"))  # intro music under the first speech
    fade_in: float = setting(0.0, between(0, 60, " seconds"))  # fade-in of the intro jingle
    fade_out: float = setting(1.0, between(0, 60, " seconds"))  # fade-out at the end of the outro jingle
    music_level: float = setting(-4.0, between(-30, 10, " LU"))  # jingle loudness relative to the speech
    level_items: bool = True  # bring every item's speech to the same loudness
    loudness: float = setting(-16.0, between(-30, -10, " LUFS"))  # integrated loudness target (-19 usual for mono)
    true_peak: float = setting(-1.0, between(-9, 0, " dBTP"))  # true-peak ceiling


@dataclass
class EmailConfig:
    """[email]: the email edition and its senders' identity."""

    from_name: str = ""  # default: the show's title
    from_address: str = setting("", email_address())  # default: owner_email
    reply_to: str = setting("", email_address())
    subject: str = setting("{title}", placeholders("title", "show", "number", "date"))
    unsubscribe_url: str = setting("", https_or_loopback())  # "?t=<signed token>" is appended per recipient
    unsubscribe_mailto: str = setting("", email_address())  # default: from_address
    secret_env: str = setting("STUDIO_UNSUBSCRIBE_SECRET", env_name())  # env var holding the token-signing secret
    send_log: str = ".studio-sendlog.sqlite"  # relative to the show root; keep it out of output_dir
    max_html_kb: int = setting(100, at_least(10))  # Gmail clips messages whose HTML is over ~102 KB
    accent: str = setting("#1d4ed8", colour())  # links and buttons (email and site); adjusted to keep 4.5:1
    postal_address: str = setting("", at_most_chars(300))  # the sender's postal address in the footer (CAN-SPAM)
    test_to: str = setting("", email_address())  # `studio ship` first sends one copy here (test send)


@dataclass
class SmtpConfig:
    """[smtp]: the server `studio send` delivers through."""

    host: str = ""
    port: int = setting(0, port())  # 0: 587 for starttls, 465 for ssl, 25 for none
    security: str = setting("starttls", one_of("starttls", "ssl", "none"))
    user: str = ""
    password_env: str = setting("STUDIO_SMTP_PASSWORD", env_name())  # env var holding the password
    rate: float = setting(50.0, between(0.001, 100_000, " messages a second"))  # at most: the pace adapts below it
    connections: int = setting(8, between(1, 100))  # at once (SES: requests); fewer if the server answers 421
    retries: int = setting(5, between(0, 10))  # temporary refusals of one recipient retried in the run (1, 2, 4… s)
    transport: str = setting("", one_of("", "smtp", "ses"))  # default: ses when [ses] names a region or endpoint
    timeout: float = setting(30.0, positive("seconds"))
    stop_after_refusals: int = setting(5, at_least(1))  # this many refusals in a row with the same reply stop the run


@dataclass
class SesConfig:
    """[ses]: Amazon SES (API v2) as the transport of `studio send`; credentials come from the AWS environment."""

    region: str = setting("", looks_like(r"|[a-z]{2}(-[a-z]+)+-\d", "eu-west-1"))  # default: AWS_REGION / profile
    endpoint_url: str = setting("", web_url())  # default: AWS_ENDPOINT_URL or AWS
    profile: str = ""  # AWS profile in ~/.aws/config (default: AWS_PROFILE or "default")
    configuration_set: str = ""  # SES configuration set for event publishing (bounces, complaints)


@dataclass
class SubscribersConfig:
    """[subscribers]: the subscriber store and its lifecycle."""

    db: str = ".studio-subscribers.sqlite"  # relative to the show root; must stay outside output_dir
    confirm_hours: float = setting(48.0, between(0.01, 720, " hours"))  # a confirmation link works this long
    soft_bounce_limit: int = setting(3, between(1, 100))  # soft bounces before an address is suppressed
    max_import_rows: int = setting(1_000_000, at_least(1))  # upper bound for one CSV import


@dataclass
class ListenConfig:
    """[listen]: `studio listen`, the list's web app (subscribe, confirm, unsubscribe)."""

    host: str = "127.0.0.1"
    port: int = setting(8080, port())
    public_url: str = setting("", https_or_loopback())  # where readers reach it, e.g. https://example.org/list/
    trusted_proxy: str = setting("", ip_address())  # the reverse proxy's IP: only its X-Forwarded-For is believed
    rate_per_ip: int = setting(5, at_least(1))  # subscribe posts per IP per rate_window
    rate_window: float = setting(3600.0, positive("seconds"))


@dataclass
class FeedConfig:
    """[feed]: podcast feed settings (Apple Podcasts, Podcasting 2.0)."""

    type: str = setting("episodic", one_of("episodic", "serial"))  # episodic (newest first) | serial (in order)
    locked: bool = False  # podcast:locked: true = other platforms must not import the feed
    guid: str = setting("", a_uuid())  # podcast:guid override; default: UUIDv5 of the feed URL
    season: int = setting(0, not_negative())  # itunes:season for episodes that set none (0 = none)
    limit: int = setting(0, not_negative())  # only the newest N episodes in feed.xml (0 = all)
    complete: bool = False  # itunes:complete: the show has ended
    analytics_prefix: str = setting("", web_url(end_slash=True))  # before enclosure URLs, e.g. "https://op3.dev/e/"
    hub: str = setting("", web_url())  # WebSub hub: <atom:link rel="hub"> and a ping after each publish
    pubnotify: str = setting("", web_url())  # Podcast Index pubnotify endpoint pinged after each publish


@dataclass
class PublishConfig:
    """[publish]: `studio publish` targets (S3 credentials come from the AWS environment, never from here)."""

    jobs: int = setting(8, between(1, 64))  # parallel uploads to S3 (--jobs overrides)
    profile: str = ""  # AWS profile in ~/.aws/config (default: AWS_PROFILE or "default")
    endpoint_url: str = setting("", web_url())  # S3 endpoint (R2, B2, MinIO...); default: AWS_ENDPOINT_URL or AWS
    region: str = ""  # default: AWS_REGION / the profile's region
    multipart_mb: int = setting(8, between(5, 5000, " (MB)"))  # files from this size up go in parts of this size


@dataclass
class SiteConfig:
    """[site]: the web pages."""

    index_episodes: int = setting(20, at_least(1))  # newest episodes with players on index.html
    subscribe: dict[str, str] = setting({}, each_value(web_url()))  # extra subscribe links: name = URL
    signup_url: str = setting("", https_url())  # the email signup form posts `email` here (`studio listen`)


@dataclass
class LimitsConfig:
    """[limits]: upper bounds on one script, checked before anything is synthesized."""

    script_kb: int = setting(1024, between(1, 100_000))  # size of the script file, KiB
    items: int = setting(300, between(1, 10_000))  # items (clips, chapters) in one episode
    item_chars: int = setting(12000, between(100, 1_000_000))  # characters of one item (~40 minutes of speech)
    recording_minutes: int = setting(180, between(1, 1440))  # length of a host's recording (front matter `recording`)


@dataclass
class AssistConfig:
    """[assist]: an optional OpenAI-compatible chat model that proposes story boundaries and titles."""

    enabled: bool = False
    base_url: str = setting("", web_url())  # e.g. http://127.0.0.1:11434/v1 (Ollama), https://api.openai.com/v1
    model: str = ""
    api_key_env: str = setting("", env_name())  # env var holding the API key ("" for a local server without one)
    timeout: float = setting(60.0, positive("seconds"))  # for the whole answer
    cache_dir: str = ".studio-cache/assist"  # answers by content, relative to the show root

    def relations(self) -> Iterator[Relation]:
        if self.enabled and not (self.base_url and self.model):
            yield "assist.enabled", "needs assist.base_url (http:// or https://) and assist.model"


@dataclass
class Show:
    title: str = field(default=REQUIRED)
    description: str = field(default=REQUIRED)
    author: str = field(default=REQUIRED)
    owner_email: str = setting(REQUIRED, email_address())
    base_url: str = setting(REQUIRED, web_url())  # where output_dir is published
    language: str = "zh-CN"
    cover: str = "assets/cover.jpg"
    category: str = "Technology"
    subcategory: str = ""
    explicit: bool = False
    voice: str = "zh-CN-XiaoxiaoNeural"
    output_dir: str = "public"
    copyright: str = ""
    # pubDate: a script's date at publish_time in this zone (studio.core.pubdate); the default is that date
    # for listeners from UTC-10 to UTC+13
    timezone: str = setting("UTC", time_zone())  # an IANA name: "UTC", "Asia/Shanghai", "America/New_York"
    publish_time: str = setting("10:00", clock_time())  # HH:MM, 24-hour clock
    media_base_url: str = setting("", web_url())  # audio, clips, images, chapters from here (a CDN); default base_url
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    ses: SesConfig = field(default_factory=SesConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    subscribers: SubscribersConfig = field(default_factory=SubscribersConfig)
    listen: ListenConfig = field(default_factory=ListenConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    assist: AssistConfig = field(default_factory=AssistConfig)
    # where show.toml was read from; relative paths resolve against it
    root: Path = setting(Path("."), internal=True)
    file: Path = setting(Path(SHOW_FILE), internal=True)  # the show.toml it came from (--show FILE or found)
    set_keys: frozenset[str] = setting(frozenset(), internal=True)  # keys the file sets, e.g. "audio.intro"
    notes: list[str] = setting([], internal=True)  # renamed keys read under their new names (studio.core.config.load)

    def path(self, rel: str | Path) -> Path:
        return (self.root / rel).resolve()

    @property
    def episodes_dir(self) -> Path:
        """Where the show's scripts are (`studio build` with no script builds them all)."""
        return self.root / "episodes"

    @property
    def out_dir(self) -> Path:
        return self.path(self.output_dir)

    @property
    def site_url(self) -> str:
        return self.base_url.rstrip("/") + "/"

    @property
    def media_url(self) -> str:
        return (self.media_base_url or self.base_url).rstrip("/") + "/"

    @property
    def unsubscribe_url(self) -> str:
        """The one-click unsubscribe endpoint: [email] unsubscribe_url, else the list app's (`studio listen`)."""
        if self.email.unsubscribe_url or not self.listen.public_url:
            return self.email.unsubscribe_url
        return self.listen.public_url.rstrip("/") + "/unsubscribe"

    def relations(self) -> Iterator[Relation]:
        problem = category_problem(self.category, self.subcategory)
        if problem:
            yield problem
        db = self.path(self.subscribers.db)
        if db == self.out_dir or self.out_dir in db.parents:
            yield "subscribers.db", f"the subscriber store must stay outside output_dir, got {self.subscribers.db!r}"
        yield from self.speech.relations()
        yield from self.assist.relations()
