#!/bin/sh
# Installs the references the benches compare against that come from Debian: faiss (python3-faiss,
# CPU build) for `npm run bench:search -- --scale` (faiss IndexFlatL2 and IndexHNSWFlat) and numpy.
# Debian is where they come from on a machine without the wider internet (no pip).
set -eu
# /usr/bin/python3: Debian's python3-faiss lives there, which a pyenv shim named python3 may hide
if /usr/bin/python3 -c 'import faiss, numpy' 2>/dev/null; then
  echo "faiss and numpy are already installed (python3-faiss, python3-numpy)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-faiss python3-numpy >/dev/null
/usr/bin/python3 -c 'import faiss; print("faiss", faiss.__version__, "installed (python3-faiss)")'
