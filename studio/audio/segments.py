"""pydub, wired to the bundled ffmpeg (no system ffmpeg, no ffprobe).

pydub is used where millisecond resolution is fine (rendering test audio,
exporting jingles). The episode mix itself works on raw samples (studio.audio.mix)
because it must be sample-exact and stream a 60-minute episode without holding it.
"""

from __future__ import annotations

import functools
import warnings

from studio.audio.ffmpeg import ffmpeg_exe


@functools.cache
def AudioSegment():  # noqa: N802 - returns the class
    with warnings.catch_warnings():  # pydub warns at import when no system ffmpeg is on PATH
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment as segment_class  # lazy: pydub (and audioop) only for test audio and jingles
    segment_class.converter = ffmpeg_exe()
    return segment_class


def from_pcm(pcm: bytes, rate: int, channels: int = 1):
    return AudioSegment()(data=pcm, sample_width=2, frame_rate=rate, channels=channels)
