"""`studio doctor`: what Studio found on this machine and for this show, each with the fix.

The tools every build needs (ffmpeg from imageio-ffmpeg, espeak-ng from espeakng-loader), the
voice engines the show uses (settings, and whether their host answers: a TCP probe), and, only
where show.toml sets them up: the SMTP server (connect, secure and log in, then QUIT: nothing is
sent) or Amazon SES (a read-only call), the S3 credentials ([publish] endpoint or profile, or
`--to s3://…`: a read-only call), the LLM of [assist] (its model list). Every network check is
bounded by a few seconds and they run at once.

Each check is `ok`, a `problem` (something the show needs: the exit status is 1) or a `warning`
(Studio works without it, with less: `auto` falls back to another voice, [assist] to the
built-in segmenter).
"""

from __future__ import annotations

import asyncio
import json
import platform
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from typing import Callable
from urllib.parse import urlsplit

from studio import __version__
from studio.audio.ffmpeg import ffmpeg_exe
from studio.core.config import Show
from studio.core.netsafe import redact
from studio.core.secrets import secret, smtp_password, unsubscribe_secret
from studio.email.message import sender
from studio.ingest.assist.exchange import ExchangeError, post
from studio.mail import transport_name
from studio.mail.outcome import Busy, TransportError, Unreachable
from studio.mail.smtp import SmtpTransport
from studio.speech.engines import AUTO, ENGINE_LABELS, ENGINES, reach_problem, settings_problem
from studio.speech.espeak import EspeakEngine

OK, PROBLEM, WARNING = "ok", "problem", "warning"
NET_TIMEOUT = 10.0  # seconds for one network check at most
PIP_AWS = "pip install 'studio[aws]' (or pipx inject studio boto3)"


@dataclass
class Check:
    name: str
    status: str  # OK | PROBLEM | WARNING
    detail: str  # what was found
    fix: str = ""  # what to do (not for ok)

    def line(self) -> str:
        mark = {OK: "ok     ", PROBLEM: "PROBLEM", WARNING: "warn   "}[self.status]
        text = f"  {mark}  {self.name}: {self.detail}"
        return text + (f"\n           fix: {self.fix}" if self.fix else "")


@dataclass
class Diagnosis:
    checks: list[Check]
    show_file: str | None

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status == PROBLEM]

    def render(self) -> str:
        head = f"Studio {__version__}, Python {platform.python_version()}" + (
            f", show {self.show_file}" if self.show_file else ", no show.toml here (the tools only)")
        lines = [head] + [c.line() for c in self.checks]
        n, w = len(self.problems), sum(c.status == WARNING for c in self.checks)
        verdict = "everything the show needs is there" if not n else "fix the problems above"
        lines.append(f"{n} problem{'s' * (n != 1)}, {w} warning{'s' * (w != 1)}: {verdict}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"ok": not self.problems, "show": self.show_file, "studio": __version__,
                "checks": [asdict(c) for c in self.checks]}


def diagnose(show: Show | None, s3_target: str | None = None, show_problem: Check | None = None) -> Diagnosis:
    """Every check that applies to this machine and show, in a fixed order; network checks run at once.
    `show_problem`: why show.toml could not be read (then only the tools are checked)."""
    checks: list[Callable[[], Check]] = [ffmpeg_check, lambda: espeak_check(show)]
    if show is not None:
        checks += [lambda name=name: engine_check(show, name) for name in engines_used(show) if name != "espeak"]
        if sending_configured(show):
            checks += [lambda: mail_check(show), lambda: sending_secrets_check(show)]
        if show.publish.endpoint_url or show.publish.profile or s3_target:
            checks.append(lambda: s3_check(show, s3_target))
        if show.assist.enabled:
            checks.append(lambda: assist_check(show))
    elif s3_target:
        checks.append(lambda: s3_check(None, s3_target))
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        found = list(pool.map(_safely, checks))
    if show is not None and show.speech.engine == AUTO:
        found = _auto_needs_one(show, found)
    if show_problem is not None:
        found.insert(0, show_problem)
    return Diagnosis(found, str(show.file) if show is not None else None)


def _safely(check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as e:  # noqa: BLE001 - a check that breaks is itself a finding, never a traceback
        return Check(getattr(check, "__name__", "check"), PROBLEM, f"the check itself failed: {type(e).__name__}: {e}",
                     "run with STUDIO_DEBUG=1 and report it")


# ---- the tools ------------------------------------------------------------------------------

def ffmpeg_check() -> Check:
    fix = "pip install --force-reinstall imageio-ffmpeg (it carries the ffmpeg binary Studio runs)"
    try:
        exe = ffmpeg_exe()
    except Exception as e:  # noqa: BLE001 - imageio-ffmpeg missing, or no binary for this platform
        return Check("ffmpeg", PROBLEM, f"not found: {e}", fix)
    try:
        proc = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return Check("ffmpeg", PROBLEM, f"{exe} does not run: {e}", fix)
    first = (proc.stdout.splitlines() or [""])[0]
    if proc.returncode != 0 or not first.startswith("ffmpeg version"):
        return Check("ffmpeg", PROBLEM, f"{exe} -version failed (exit {proc.returncode})", fix)
    return Check("ffmpeg", OK, f"{' '.join(first.split()[:3])} (imageio-ffmpeg {_version('imageio-ffmpeg')}, {exe})")


def espeak_check(show: Show | None) -> Check:
    needed = show is None or "espeak" in engines_used(show)
    try:
        version = EspeakEngine().version
    except Exception as e:  # noqa: BLE001 - the library or its data did not load
        return Check("espeak-ng", PROBLEM if needed else WARNING, f"does not load: {e}",
                     "pip install --force-reinstall espeakng-loader (it carries espeak-ng and its voices)")
    return Check("espeak-ng", OK, f"{version} (espeakng-loader {_version('espeakng-loader')}): the offline voice")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


# ---- voice engines --------------------------------------------------------------------------

def engines_used(show: Show) -> list[str]:
    """The engines a build of this show may use: speech.engine, or with auto the speech.engines list."""
    if show.speech.engine == AUTO:
        return [e for e in show.speech.engines if e in ENGINES]
    return [show.speech.engine] if show.speech.engine in ENGINES else []


def engine_check(show: Show, name: str) -> Check:
    label = ENGINE_LABELS[name]
    level = WARNING if show.speech.engine == AUTO else PROBLEM
    problem = settings_problem(name, show, [])
    if problem:
        return Check(label, level, problem, f"complete [speech.{name}] in {show.file.name}"
                     + (" (or leave it out of speech.engines)" if level == WARNING else ""))
    url = ENGINES[name].endpoint(show) or ""
    unreachable = reach_problem(name, show)
    if unreachable:
        fix = ("check the network (a proxy, a firewall) or use the offline voice: --engine espeak"
               if name == "edge" else f"check the endpoint in [speech.{name}] and the network")
        if level == WARNING:
            fix = f"auto uses the next engine of speech.engines meanwhile; {fix}"
        return Check(label, level, f"not reachable ({unreachable})", fix)
    return Check(label, OK, f"{_host(url)} answers")


def _auto_needs_one(show: Show, found: list[Check]) -> list[Check]:
    """With auto, one engine of speech.engines that works is enough; none is a problem."""
    labels = {"espeak-ng" if e == "espeak" else ENGINE_LABELS[e] for e in engines_used(show)}
    engines = [c for c in found if c.name in labels]
    if engines and not any(c.status == OK for c in engines):
        engines[0].status = PROBLEM
        engines[0].fix = f"no engine of speech.engines ({', '.join(show.speech.engines)}) can speak: {engines[0].fix}"
    return found


def _host(url: str) -> str:
    u = urlsplit(url)
    return f"{u.hostname}:{u.port}" if u.port else (u.hostname or url)


# ---- sending --------------------------------------------------------------------------------

def sending_configured(show: Show) -> bool:
    return bool(show.smtp.host) or transport_name(show) == "ses"


def mail_check(show: Show) -> Check:
    if transport_name(show) == "ses":
        return ses_check(show)
    cfg = show.smtp
    password = smtp_password(show)
    if cfg.user and not password:
        return Check("SMTP login", PROBLEM, f"[smtp] user is {cfg.user!r} but {cfg.password_env} is not set",
                     f"export {cfg.password_env}=… (the password; never in show.toml)")
    transport = SmtpTransport(show, password)
    transport.cfg = replace(cfg, timeout=min(cfg.timeout, NET_TIMEOUT))
    try:
        asyncio.run(_login(transport))
    except Unreachable as e:
        return Check("SMTP login", PROBLEM, redact(str(e), password),
                     "check [smtp] host, port and security, and that the server is running")
    except Busy as e:
        return Check("SMTP login", PROBLEM, f"{transport.where} is busy: {redact(str(e), password)}",
                     "try again later")
    except TransportError as e:
        fix = (f"check [smtp] user and the password in {cfg.password_env}" if "login" in e.message
               else "check [smtp] security (starttls, ssl or none) and port")
        return Check("SMTP login", PROBLEM, redact(e.message, password), fix)
    how = f"logged in as {cfg.user!r}" if cfg.user else "connected (no login configured)"
    return Check("SMTP login", OK, f"{transport.where}: {how}, security {cfg.security}; nothing was sent")


async def _login(transport: SmtpTransport) -> None:
    conn = await transport.open()
    await conn.close()


def ses_check(show: Show) -> Check:
    try:
        import boto3  # lazy: boto3 takes ~0.3 s to import; only a show that uses AWS needs it
        from botocore.config import Config  # lazy: with boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError  # lazy: with boto3
    except ImportError:
        return Check("Amazon SES", PROBLEM, "boto3 is not installed", PIP_AWS)
    ses = show.ses
    try:
        session = boto3.session.Session(profile_name=ses.profile or None, region_name=ses.region or None)
        client = session.client("sesv2", endpoint_url=ses.endpoint_url or None, config=_aws_config(Config))
        identities = client.list_email_identities(PageSize=1000).get("EmailIdentities", [])
    except NoCredentialsError:
        return Check("Amazon SES", PROBLEM, "no AWS credentials", _AWS_CREDENTIALS)
    except ClientError as e:
        return _aws_refusal("Amazon SES", e, "ses:ListEmailIdentities")
    except (BotoCoreError, ValueError) as e:
        return Check("Amazon SES", PROBLEM, f"cannot reach it: {e}", "check [ses] region and endpoint_url")
    me = sender(show)
    names = {i.get("IdentityName", "").lower() for i in identities}
    where = f"{client.meta.region_name}, {client.meta.endpoint_url}"
    if me.addr_spec.lower() not in names and me.domain.lower() not in names:
        return Check("Amazon SES", WARNING, f"credentials accepted ({where}), but neither {me.addr_spec} nor "
                     f"{me.domain} is a verified identity there", "verify the sender's domain in the SES console "
                     "(Identities), in this region")
    return Check("Amazon SES", OK, f"credentials accepted ({where}); {me.domain} or {me.addr_spec} verified")


def sending_secrets_check(show: Show) -> Check:
    problems = []
    if not unsubscribe_secret(show):
        problems.append((f"{show.email.secret_env} is not set (it signs every unsubscribe link)",
                         f"export {show.email.secret_env}=… (a long random string; keep it: old links use it)"))
    if not show.unsubscribe_url:
        problems.append(("no one-click unsubscribe endpoint", "set [listen] public_url (served by `studio listen`) "
                         "or [email] unsubscribe_url"))
    if problems:
        return Check("sending", PROBLEM, "; ".join(p for p, _ in problems), "; ".join(f for _, f in problems))
    return Check("sending", OK, f"unsubscribe links signed with {show.email.secret_env}, one-click endpoint "
                 f"{show.unsubscribe_url}")


# ---- publishing to S3 -----------------------------------------------------------------------

_AWS_CREDENTIALS = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE / [publish] profile"


def _aws_config(config_cls):
    return config_cls(connect_timeout=5, read_timeout=NET_TIMEOUT, retries={"total_max_attempts": 1})


def _aws_refusal(name: str, e, permission: str) -> Check:
    err = e.response.get("Error", {})
    code, message = err.get("Code", ""), " ".join(str(err.get("Message", "")).split())
    if code in ("AccessDenied", "AccessDeniedException"):
        return Check(name, OK, f"credentials accepted (not allowed to call {permission}, which Studio does not need)")
    return Check(name, PROBLEM, f"refused: {code} {message}".strip(), f"check the credentials ({_AWS_CREDENTIALS})")


def s3_check(show: Show | None, target: str | None) -> Check:
    try:
        import boto3  # lazy: boto3 takes ~0.5 s to import; only a show that uses AWS needs it
        from botocore.config import Config  # lazy: with boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError  # lazy: with boto3
    except ImportError:
        return Check("S3 credentials", PROBLEM, "boto3 is not installed", PIP_AWS)
    settings = show.publish if show is not None else None
    profile = (settings.profile if settings else "") or None
    try:
        session = boto3.session.Session(profile_name=profile, region_name=(settings.region if settings else "") or None)
        client = session.client("s3", endpoint_url=(settings.endpoint_url if settings else "") or None,
                                config=_aws_config(Config))
        where = client.meta.endpoint_url
        if target:
            bucket = target.removeprefix("s3://").partition("/")[0]
            client.head_bucket(Bucket=bucket)
            return Check("S3 credentials", OK, f"{where}: bucket {bucket!r} reachable with these credentials")
        count = len(client.list_buckets().get("Buckets", []))
    except NoCredentialsError:
        return Check("S3 credentials", PROBLEM, "no AWS credentials", _AWS_CREDENTIALS)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if target and code in ("404", "NoSuchBucket"):
            return Check("S3 credentials", PROBLEM, f"no bucket {target!r} there", "create it, or fix --to")
        return _aws_refusal("S3 credentials", e, "s3:ListAllMyBuckets" if not target else "s3:HeadBucket")
    except (BotoCoreError, ValueError) as e:
        return Check("S3 credentials", PROBLEM, f"cannot reach it: {e}",
                     "check [publish] endpoint_url (or AWS_ENDPOINT_URL) and the network")
    return Check("S3 credentials", OK, f"{where}: credentials accepted ({count} bucket{'s' * (count != 1)} listed)")


# ---- the assist LLM -------------------------------------------------------------------------

def assist_check(show: Show) -> Check:
    cfg = show.assist
    key = secret(cfg.api_key_env)
    fallback = "builds use the built-in segmenter meanwhile"
    if cfg.api_key_env and not key:
        return Check("LLM assist", WARNING, f"{cfg.api_key_env} (assist.api_key_env) is not set",
                     f"export {cfg.api_key_env}=…; {fallback}")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    url = cfg.base_url.rstrip("/") + "/models"
    try:
        data = post(url, None, headers, min(cfg.timeout, NET_TIMEOUT), 2_000_000, secret=key, method="GET")
    except ExchangeError as e:
        return Check("LLM assist", WARNING, str(e), f"check [assist] base_url and that the server runs; {fallback}")
    try:
        models = [m.get("id") for m in json.loads(data).get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError, RecursionError):
        return Check("LLM assist", WARNING, f"{url} did not answer with a model list",
                     f"check [assist] base_url (the API root, e.g. http://127.0.0.1:11434/v1); {fallback}")
    if cfg.model not in models:
        known = ", ".join(map(str, models[:8])) or "none"
        return Check("LLM assist", WARNING, f"{_host(url)} answers but has no model {cfg.model!r} (it has: {known})",
                     f"set [assist] model to one of them; {fallback}")
    return Check("LLM assist", OK, f"{_host(url)} answers and has model {cfg.model!r}")
