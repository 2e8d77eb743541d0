"""`studio voices` and `studio cache`: the voices Studio can use, and the speech clip cache."""

from __future__ import annotations

import datetime as dt
import json

import click

from studio.audio.workfiles import prune_work, work_info
from studio.cli.app import cli, handle_errors, load_show_for
from studio.core.errors import StudioError
from studio.speech.cache import ClipCache
from studio.speech.voices import list_voices


@cli.command()
@click.option("--lang", metavar="LANG", help="Only voices for this language or locale (zh, zh-CN, en-GB).")
@click.option("--offline", is_flag=True, help="Use the bundled list; do not ask the service.")
@click.option("--json", "as_json", is_flag=True, help="Print the voices as JSON.")
@click.option("--engine", type=click.Choice(["edge", "azure", "openai", "espeak"]), default="edge",
              help="azure: the resource's voice list ([speech.azure]); openai: the voice map in [speech.openai]; "
                   "espeak: the offline espeak-ng voices (no network).")
@click.pass_obj
@handle_errors
def voices(obj, lang: str | None, offline: bool, as_json: bool, engine: str) -> None:
    """List the Edge voices: the live list when the service answers, else the bundled one
    (--engine azure: the Azure resource's list; --engine openai: the configured voice map;
    --engine espeak: the offline voices and the languages each reads)."""
    show = load_show_for(obj["show_file"]) if engine in ("azure", "openai") else _show_or_none(obj)
    cache_dir = show.path(show.speech.cache_dir) if show else None
    found = list_voices(engine, show, cache_dir, offline=offline, lang=lang)
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(json.dumps({"source": found.source, "voices": found.voices}, ensure_ascii=False))
        return
    width = 20 if engine == "espeak" else 36
    for v in found.voices:
        click.echo(f"{v['ShortName']:<{width}} {v['Gender']:<7} {v['FriendlyName']}")
    click.echo(f"{len(found.voices)} voices ({found.source} list)", err=True)


def _show_or_none(obj):
    try:
        return load_show_for(obj["show_file"])
    except StudioError:
        return None


@cli.group()
def cache() -> None:
    """The speech clip cache (speech.cache_dir in show.toml, default .studio-cache/)."""


@cache.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
@handle_errors
def cache_info(obj, as_json: bool) -> None:
    """Where the cache is, how many clips it holds and how much space they take."""
    show = load_show_for(obj["show_file"])
    info = ClipCache(show.path(show.speech.cache_dir)).info()
    work = work_info(show.path(show.speech.cache_dir))
    if as_json:
        click.echo(json.dumps({"dir": str(info.root), "entries": info.entries, "bytes": info.bytes,
                               "engines": info.by_engine, "voices": info.by_voice,
                               "audio_work": {"episodes": work.episodes, "bytes": work.bytes}}, ensure_ascii=False))
        return

    def when(t: float | None) -> str:
        return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "-"

    click.echo(f"{info.root}\n{info.entries} clips, {info.bytes / 1e6:.1f} MB")
    if info.entries:
        click.echo(f"last used: {when(info.oldest_use)} .. {when(info.newest_use)}")
        for engine, n in sorted(info.by_engine.items()):
            click.echo(f"  {engine}: {n}")
        for voice, n in sorted(info.by_voice.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {voice}: {n}")
    click.echo(f"audio working copies (decoded PCM, encoded pieces): {work.episodes} episodes, {work.bytes / 1e6:.1f} MB")


@cache.command("prune")
@click.option("--older-than", "days", type=click.FloatRange(min=0), default=30.0, show_default=True,
              metavar="DAYS", help="Remove clips not used by any build for this many days.")
@click.option("--all", "everything", is_flag=True, help="Remove every cached clip.")
@click.pass_obj
@handle_errors
def cache_prune(obj, days: float, everything: bool) -> None:
    """Remove clips no build has used lately (or all of them), and episodes' audio working copies."""
    show = load_show_for(obj["show_file"])
    clips = ClipCache(show.path(show.speech.cache_dir))
    if not clips.marked:
        click.echo(f"{clips.root}: not a Studio clip cache (no STUDIO-CACHE file): nothing removed")
        return
    removed, freed = clips.prune(days, everything)
    click.echo(f"removed {removed} clips ({freed / 1e6:.1f} MB)")
    episodes, freed = prune_work(clips.root, days, everything)
    click.echo(f"removed the audio working copies of {episodes} episodes ({freed / 1e6:.1f} MB)")
