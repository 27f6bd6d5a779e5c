#!/usr/bin/env bash
# Debian's chromium for the UI tests, plus fonts for Hindi and Bengali labels in screenshots (and in the digest PDF).
# Playwright drives this browser; it never downloads one of its own.
set -uo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-lohit-deva >/dev/null 2>&1 || need+=(fonts-lohit-deva)
dpkg -s fonts-lohit-beng-bengali >/dev/null 2>&1 || need+=(fonts-lohit-beng-bengali)
# pdftotext reads the weekly digest PDF back in its test (the Devanagari font above renders it)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: no apt-get here; install ${need[*]} yourself, or the browser tests skip (they say why)" >&2
  exit 0
fi
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
echo "installing ${need[*]} (Debian packages, for the browser tests)"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y -q "${need[@]}" >/dev/null; then
  "${SUDO[@]}" apt-get update -q >/dev/null && "${SUDO[@]}" apt-get install -y -q "${need[@]}" >/dev/null \
    || echo "warning: could not install ${need[*]}; the browser tests will skip and say why" >&2
fi
exit 0
