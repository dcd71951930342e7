# Assertions, counters and server control for the interop suite (sourced by run.sh and the per-client
# scripts). Every step is counted once: exit status and, where given, content of its output.
# shellcheck shell=bash

PASS=0
FAIL=0
FAILED_STEPS=()
STEP_TIMEOUT=${STEP_TIMEOUT:-300}
OUT=''
RC=0

_say() { printf '%s\n' "$*"; }
ok() {
  PASS=$((PASS + 1))
  _say "  ok    $1"
}
ko() {
  FAIL=$((FAIL + 1))
  FAILED_STEPS+=("$1")
  _say "  FAIL  $1"
  # The first lines of what the tool said: enough to see why without drowning the log.
  [[ -n ${2:-} ]] && printf '%s\n' "$2" | head -n 25 | sed 's/^/        | /'
  return 0
}
section() { _say "" "== $*"; }

# check NAME [--match ERE]... [--no-match ERE]... [--fails] [--in FILE] -- CMD ARGS...
# Runs CMD (with a timeout), keeps its combined output in $OUT and status in $RC, and passes when the
# status is 0 (non-zero with --fails) and the output matches every --match and no --no-match.
check() {
  local name=$1
  shift
  local -a match=() nomatch=()
  local want=ok
  while [[ $# -gt 0 && $1 != -- ]]; do
    case $1 in
      --match) match+=("$2"); shift 2 ;;
      --no-match) nomatch+=("$2"); shift 2 ;;
      --fails) want=fail; shift ;;
      *) _say "check: unknown option $1"; exit 2 ;;
    esac
  done
  [[ ${1:-} == -- ]] && shift
  # Through bash so that exported wrapper functions (aws, s3c, rc) can be timed out too.
  OUT=$(timeout "$STEP_TIMEOUT" bash -c '"$@"' check "$@" 2>&1 </dev/null)
  RC=$?
  if [[ $want == ok && $RC -ne 0 ]]; then
    ko "$name" "exit $RC from: $*"$'\n'"$OUT"
    return 1
  fi
  if [[ $want == fail && $RC -eq 0 ]]; then
    ko "$name" "expected a failure, got exit 0 from: $*"$'\n'"$OUT"
    return 1
  fi
  local re
  for re in "${match[@]}"; do
    if ! grep -Eq -- "$re" <<<"$OUT"; then
      ko "$name" "output does not match /$re/:"$'\n'"$OUT"
      return 1
    fi
  done
  for re in "${nomatch[@]}"; do
    if grep -Eq -- "$re" <<<"$OUT"; then
      ko "$name" "output unexpectedly matches /$re/:"$'\n'"$OUT"
      return 1
    fi
  done
  ok "$name"
  return 0
}

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
  if [[ $2 == "$3" ]]; then
    ok "$1"
  else
    ko "$1" "expected: $3"$'\n'"actual:   $2"
    return 1
  fi
}

# same_file NAME A B: byte-identical (and both exist).
same_file() {
  if [[ -f $2 && -f $3 ]] && cmp -s -- "$2" "$3"; then
    ok "$1"
  else
    ko "$1" "$(ls -l -- "$2" "$3" 2>&1)"
    return 1
  fi
}

# json EXPR < JSON: evaluates a Python expression over the parsed document `d` (python3 is an awscli
# dependency, so it is there whenever the suite can run; jq may not be).
json() {
  /usr/bin/python3 -c 'import json,sys
d=json.load(sys.stdin)
r=eval(sys.argv[1])
print(r if isinstance(r,str) else json.dumps(r))' "$1"
}

# start_coffer DATA_DIR LOG_FILE: starts `coffer server` on a free port; sets EP, PORT, HOSTPORT, SERVER_PID.
start_coffer() {
  local data=$1 log=$2
  : >"$log"
  node "$ROOT/bin/coffer.js" server --address 127.0.0.1 --port 0 --data "$data" >"$log" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + ${SERVER_START_TIMEOUT:-30})) line=''
  while [[ -z $line ]]; do
    line=$(grep -Eo 'listening on https?://[^ ]+:[0-9]+' "$log" | head -n1 2>/dev/null || true)
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      _say "coffer server exited during start-up:"
      sed 's/^/  | /' "$log"
      return 1
    fi
    if ((SECONDS > deadline)); then
      _say "coffer server printed no 'listening on' line within ${SERVER_START_TIMEOUT:-30}s:"
      sed 's/^/  | /' "$log"
      return 1
    fi
    sleep 0.1
  done
  PORT=${line##*:}
  HOSTPORT=127.0.0.1:$PORT
  EP=http://$HOSTPORT
  until curl -fsS -o /dev/null --max-time 2 "$EP/health/ready"; do
    if ((SECONDS > deadline)) || ! kill -0 "$SERVER_PID" 2>/dev/null; then
      _say "coffer server never answered 200 on /health/ready:"
      sed 's/^/  | /' "$log"
      return 1
    fi
    sleep 0.1
  done
}

stop_coffer() {
  [[ -n ${SERVER_PID:-} ]] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    local i
    for i in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=''
}

# make_tree DIR: a small directory tree with awkward names, for sync round-trips.
make_tree() {
  local d=$1
  mkdir -p "$d/sub/deep" "$d/with space"
  printf 'alpha\n' >"$d/a.txt"
  printf 'bravo\n' >"$d/sub/b.txt"
  head -c 300000 /dev/urandom >"$d/sub/deep/c.bin"
  printf 'delta\n' >"$d/with space/d e.txt"
  printf 'echo\n' >"$d/ünï-côdé.txt"
  : >"$d/empty.txt"
}

# prepare_smoke_env ROOT WORK PREFIX: builds dist/ when missing or older than src/, picks random root
# credentials (hex, so no tool needs quoting; access key id starts with PREFIX) and sets a clean
# client environment: no user config files, no instance metadata lookups, no pager, no retries (a
# test must see the first answer, and a refused request must fail fast). Returns 1 if the build fails.
prepare_smoke_env() {
  local root=$1 work=$2 prefix=$3
  if [[ ! -f $root/dist/cli/main.js ]] || [[ -n $(find "$root/src" -name '*.ts' -newer "$root/dist/cli/main.js" -print -quit) ]]; then
    echo "building…"
    (cd "$root" && npm run build --silent) || { echo "build failed"; return 1; }
  fi
  AK=$prefix$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  SK=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export COFFER_ROOT_USER=$AK COFFER_ROOT_PASSWORD=$SK
  export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
  export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials
  export AWS_EC2_METADATA_DISABLED=true AWS_PAGER='' AWS_CLI_AUTO_PROMPT=off
  export AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL 2>/dev/null || true
  : >"$AWS_CONFIG_FILE"
  : >"$AWS_SHARED_CREDENTIALS_FILE"
}
