#!/usr/bin/env bash
# Studio as a user installs it: build the sdist and the wheel, install the wheel into a fresh venv in a
# folder with no checkout nearby, then `studio init` a show and build it with the offline voice.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d /tmp/studio-wheel-XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/build-env"
"$work/build-env/bin/python" -m pip install -q --upgrade pip build
"$work/build-env/bin/python" -m build -q --sdist --wheel --outdir "$work/dist" "$repo" >/dev/null
ls "$work/dist"/studio-*.tar.gz "$work/dist"/studio-*.whl
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work/dist"/studio-*.whl
mkdir "$work/empty" && cd "$work/empty"
"$work/venv/bin/studio" --version
"$work/venv/bin/studio" init myshow
cd myshow
test ! -e templates  # the built-in templates are read from the package, not copied
"$work/venv/bin/studio" build --engine espeak --quiet
test -s public/feed.xml && ls public/episodes/*/*.mp3 public/episodes/*/email.html >/dev/null
"$work/venv/bin/studio" template copy email.html.j2 >/dev/null
test -s templates/email.html.j2
echo "wheel check: the installed wheel initialised and built a show in $work/empty/myshow"
