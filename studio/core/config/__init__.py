"""show.toml: the show's settings, loaded into checked dataclasses (sections.py), by load.py."""

from __future__ import annotations

from studio.core.config.checks import is_https_or_loopback
from studio.core.config.load import RENAMED, find_show_file, load_section, load_show, read_toml, rename_keys
from studio.core.config.sections import (
    AZURE_MP3_FORMATS,
    MP3_BITRATES,
    SHOW_FILE,
    AssistConfig,
    AudioConfig,
    AzureSpeechConfig,
    EmailConfig,
    FeedConfig,
    LimitsConfig,
    ListenConfig,
    OpenAISpeechConfig,
    PublishConfig,
    SesConfig,
    Show,
    SiteConfig,
    SmtpConfig,
    SpeechConfig,
    SubscribersConfig,
)

__all__ = [
    "AZURE_MP3_FORMATS", "MP3_BITRATES", "RENAMED", "SHOW_FILE", "AssistConfig", "AudioConfig", "AzureSpeechConfig",
    "EmailConfig", "FeedConfig", "LimitsConfig", "ListenConfig", "OpenAISpeechConfig", "PublishConfig", "Show",
    "SesConfig", "SiteConfig", "SmtpConfig", "SpeechConfig", "SubscribersConfig", "find_show_file", "is_https_or_loopback",
    "load_section", "load_show", "read_toml", "rename_keys",
]
