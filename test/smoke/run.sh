#!/usr/bin/env bash
# The interop suite (`npm run test:interop`): starts a real Coffer (temp data dir, free port, root
# credentials) and drives it with the aws CLI v2, s3cmd and rclone from Debian's packages.
# Ends with a plain "N passed, N failed" line; exits non-zero if any step failed.
# SMOKE_ONLY=aws,s3cmd,rclone selects clients; SMOKE_KEEP=1 keeps the work dir.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SMOKE=$ROOT/test/smoke
# shellcheck source=test/smoke/lib.sh
. "$SMOKE/lib.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-smoke.XXXXXX")
DATA=$WORK/data
mkdir -p "$DATA"
SERVER_PID=''
cleanup() {
  stop_coffer
  if [[ ${SMOKE_KEEP:-0} == 1 ]]; then
    echo "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! prepare_smoke_env "$ROOT" "$WORK" SMOKE; then
  echo "0 passed, 1 failed"
  exit 1
fi

section "starting coffer"
if ! start_coffer "$DATA" "$WORK/server.log"; then
  echo "0 passed, 1 failed"
  exit 1
fi
echo "  endpoint $EP, data $DATA"

# Shared fixtures.
FIX=$WORK/fixtures
mkdir -p "$FIX"
printf 'hello from the coffer interop suite\n' >"$FIX/small.txt"
head -c $((50 * 1024 * 1024)) /dev/urandom >"$FIX/big.bin"
make_tree "$FIX/tree"

want() { [[ -z ${SMOKE_ONLY:-} || ",$SMOKE_ONLY," == *",$1,"* ]]; }
want aws && . "$SMOKE/awscli.sh"
want s3cmd && . "$SMOKE/s3cmd.sh"
want rclone && . "$SMOKE/rclone.sh"
want iam && . "$SMOKE/iam.sh"

section "server health after the suite"
check "server still running" -- kill -0 "$SERVER_PID"
check "server ready" -- curl -fsS "$EP/health/ready"
# A crash or unhandled rejection would show up as a stack trace in the log.
check "no unhandled errors in the server log" --no-match 'Unhandled|uncaught|TypeError|ReferenceError' -- cat "$WORK/server.log"

echo
if ((FAIL > 0)); then
  echo "failed steps:"
  printf '  - %s\n' "${FAILED_STEPS[@]}"
fi
echo "$PASS passed, $FAIL failed"
((FAIL == 0))
