#!/bin/sh
# Installs Debian's Fashion-MNIST (dataset-fashion-mnist: 60,000 + 10,000 gzipped IDX images under
# /usr/share/datasets/fashion-mnist), which `--dataset fashion-mnist`, the zero-shot results and the
# tests that skip without it read. Debian is the only place it comes from on a machine without the wider
# internet.
set -eu
if [ -d /usr/share/datasets/fashion-mnist ]; then
  echo "Fashion-MNIST is already installed (/usr/share/datasets/fashion-mnist)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null
echo "Fashion-MNIST installed under /usr/share/datasets/fashion-mnist"
