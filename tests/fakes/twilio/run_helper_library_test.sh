#!/bin/sh
# Runs helper_library_test.py (arguments passed on) with a Python that has Twilio's
# helper library. Debian's python3-twilio installs it for /usr/bin/python3, which
# another python3 earlier on PATH (pyenv, a virtualenv) does not see, so that one is
# tried first. Exits 77, ctest's skip, when no Python is installed.
here=${0%/*}
for python in /usr/bin/python3 python3; do
  if command -v "$python" >/dev/null 2>&1 && "$python" -c 'import twilio' 2>/dev/null; then
    exec "$python" "$here/helper_library_test.py" "$@"
  fi
done
if command -v python3 >/dev/null 2>&1; then
  exec python3 "$here/helper_library_test.py" "$@"  # prints why it skips
fi
echo "SKIP: no python3; scripts/ensure-packages.sh installs python3-twilio, which brings it"
exit 77
