"""The physical floor of an offline build: espeak-ng (same library, same voice)
speaking the episode's speech text straight into one WAV, then one ffmpeg encode
of that audio to the episode's MP3 settings.

    python -m benchmarks.floor_espeak SPEECH.txt OUT.mp3 VOICE BITRATE_KBPS DURATION_S

The encode covers DURATION_S seconds (the episode's length: speech plus the
jingles and gaps a real episode has), padding the speech with silence.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import wave

import espeakng_loader
import imageio_ffmpeg


def main(text_path: str, out_mp3: str, voice: str, bitrate: str, duration_s: str) -> None:
    lib = espeakng_loader.load_library()
    rate = lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0x8000)
    chunks: list[bytes] = []

    @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
    def on_audio(wav, n, events):
        if n > 0:
            chunks.append(ctypes.string_at(wav, n * 2))
        return 0

    lib.espeak_SetSynthCallback(on_audio)
    lib.espeak_SetVoiceByName(voice.encode())
    data = open(text_path, encoding="utf-8").read().encode() + b"\0"
    lib.espeak_Synth(data, len(data), 0, 0, 0, 1, None, None)
    lib.espeak_Synchronize()
    wav_path = out_mp3 + ".wav"
    with wave.open(wav_path, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(b"".join(chunks))
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", wav_path,
         "-af", "apad", "-t", duration_s, "-ar", "44100", "-ac", "1", "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", out_mp3],
        check=True,
    )


if __name__ == "__main__":
    main(*sys.argv[1:6])
