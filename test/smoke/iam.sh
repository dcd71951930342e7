#!/usr/bin/env bash
# IAM interop: every command of the SeaweedFS IAM page run with Debian's aws CLI v2 (only the endpoint
# changed), each followed by S3 calls made as the new user with the keys captured from the JSON output.
# Run alone (`bash test/smoke/iam.sh`: own server, "N passed, N failed", non-zero on failure) or sourced by run.sh.
# shellcheck shell=bash

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  IAM_STANDALONE=1
  set -uo pipefail
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  # shellcheck source=test/smoke/lib.sh
  . "$ROOT/test/smoke/lib.sh"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-smoke-iam.XXXXXX")
  SERVER_PID=''
  _iam_cleanup() {
    stop_coffer
    if [[ ${SMOKE_KEEP:-0} == 1 ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  }
  trap _iam_cleanup EXIT
  trap 'exit 130' INT TERM
  if ! prepare_smoke_env "$ROOT" "$WORK" IAMSMOKE; then
    echo "0 passed, 1 failed"
    exit 1
  fi
  section "starting coffer"
  mkdir -p "$WORK/data"
  if ! start_coffer "$WORK/data" "$WORK/server.log"; then
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "  endpoint $EP"
fi

section "IAM: the SeaweedFS IAM page with the aws CLI"
AWS=/usr/bin/aws
ROOT_AK=$AWS_ACCESS_KEY_ID
ROOT_SK=$AWS_SECRET_ACCESS_KEY
export AWS_ENDPOINT=$EP # the page's variable; the CLI itself ignores it
IW=$WORK/iam
mkdir -p "$IW"
# The page writes policy.json in the current directory and passes file://policy.json.
_IAM_PREV_PWD=$PWD
cd "$IW" || exit 1
cp "$ROOT/test/fixtures/policies/seaweedfs-policy.json" policy.json
printf 'hello from my-bucket\n' >hello.txt
printf 'not allowed\n' >upload.txt

# Commands run as another identity use `env AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…` (check runs
# its command under timeout(1), so shell functions cannot be used there).
# A refused request: access denied, or the credential itself refused (disabled user / inactive key).
REFUSED='AccessDenied|InvalidAccessKeyId|InvalidClientTokenId|Forbidden|403'

# The bucket the page's policy names, with one object, made as root.
check "iam: root creates my-bucket" -- $AWS --endpoint "$AWS_ENDPOINT" s3 mb s3://my-bucket
check "iam: root uploads my-bucket/hello.txt" -- $AWS --endpoint "$AWS_ENDPOINT" s3 cp hello.txt s3://my-bucket/hello.txt

# --- Create a User and Access Key
check "iam create-user --user-name alice" --match '"UserName": "alice"' --match '"Arn": "arn:aws:iam::[0-9]{12}:user/alice"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam create-user --user-name alice
check "iam create-access-key --user-name alice" --match '"AccessKeyId": "[A-Z0-9]{20}"' --match '"SecretAccessKey"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam create-access-key --user-name alice
A1=$(json 'd["AccessKey"]["AccessKeyId"]' <<<"$OUT" 2>/dev/null || true)
S1=$(json 'd["AccessKey"]["SecretAccessKey"]' <<<"$OUT" 2>/dev/null || true)
check "S3 as alice, no policy yet: s3 ls is AccessDenied" --fails --match 'AccessDenied' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 ls
check "S3 as alice, no policy yet: get my-bucket/hello.txt is AccessDenied" --fails --match 'AccessDenied|403' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -

# --- Attach a Policy to User (inline)
check "iam put-user-policy --user-name alice --policy-name ReadOnlyPolicy --policy-document file://policy.json" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam put-user-policy --user-name alice --policy-name ReadOnlyPolicy --policy-document file://policy.json
check "S3 as alice: get my-bucket/hello.txt is allowed by s3:Get* on my-bucket/*" --match '^hello from my-bucket$' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "S3 as alice: put into my-bucket is AccessDenied" --fails --match 'AccessDenied' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 cp upload.txt s3://my-bucket/upload.txt
check "S3 as alice: ListBucket on arn:aws:s3:::my-bucket is not covered by my-bucket/* (AccessDenied)" --fails --match 'AccessDenied' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 ls s3://my-bucket
check "S3 as root: the denied upload did not happen" --fails --match '404|Not Found|NoSuchKey' -- \
  $AWS --endpoint "$AWS_ENDPOINT" s3api head-object --bucket my-bucket --key upload.txt

# --- Caller-supplied AccessKeyId / SecretAccessKey (curl with --aws-sigv4, as on the page)
MY_KEY=myappkey$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
check "curl CreateAccessKey with caller-supplied AccessKeyId/SecretAccessKey" --match "<AccessKeyId>$MY_KEY</AccessKeyId>" \
  --match '<SecretAccessKey>my-app-secret-value</SecretAccessKey>' --no-match '<Error>' -- \
  curl -sS -X POST "$AWS_ENDPOINT" \
  --data-urlencode "Action=CreateAccessKey" \
  --data-urlencode "UserName=alice" \
  --data-urlencode "AccessKeyId=$MY_KEY" \
  --data-urlencode "SecretAccessKey=my-app-secret-value" \
  --aws-sigv4 "aws:amz:us-east-1:iam" \
  --user "$ROOT_AK:$ROOT_SK"
check "S3 with the caller-supplied key: get my-bucket/hello.txt" --match '^hello from my-bucket$' -- \
  env AWS_ACCESS_KEY_ID="$MY_KEY" AWS_SECRET_ACCESS_KEY=my-app-secret-value $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "curl CreateAccessKey with only AccessKeyId is InvalidInput" --match '<Code>InvalidInput</Code>' -- \
  curl -sS -X POST "$AWS_ENDPOINT" --data-urlencode "Action=CreateAccessKey" --data-urlencode "UserName=alice" \
  --data-urlencode "AccessKeyId=OnlyTheId" --aws-sigv4 "aws:amz:us-east-1:iam" --user "$ROOT_AK:$ROOT_SK"
check "curl CreateAccessKey with a '-' in AccessKeyId is InvalidInput" --match '<Code>InvalidInput</Code>' -- \
  curl -sS -X POST "$AWS_ENDPOINT" --data-urlencode "Action=CreateAccessKey" --data-urlencode "UserName=alice" \
  --data-urlencode "AccessKeyId=my-app-key" --data-urlencode "SecretAccessKey=my-app-secret-value" \
  --aws-sigv4 "aws:amz:us-east-1:iam" --user "$ROOT_AK:$ROOT_SK"

# --- List Users and Access Keys
check "iam list-users" --match '"UserName": "alice"' -- $AWS --endpoint "$AWS_ENDPOINT" iam list-users
check "iam list-access-keys --user-name alice (both keys, no secrets)" --match "\"AccessKeyId\": \"$A1\"" \
  --match "\"AccessKeyId\": \"$MY_KEY\"" --no-match 'SecretAccessKey' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam list-access-keys --user-name alice
# alice has two keys now (the AWS limit); the page's self-service step creates another, so drop this one.
check "iam delete-access-key (the caller-supplied key, to make room under the 2-key limit)" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam delete-access-key --user-name alice --access-key-id "$MY_KEY"
check "S3 with the deleted key is InvalidAccessKeyId" --fails --match 'InvalidAccessKeyId' -- \
  env AWS_ACCESS_KEY_ID="$MY_KEY" AWS_SECRET_ACCESS_KEY=my-app-secret-value $AWS --endpoint "$AWS_ENDPOINT" s3 ls

# --- Managed Policies. The page attaches ReadOnlyPolicy without showing its creation: create it first,
# granting listing of my-bucket (the inline policy does not), so its effect shows.
cat >managed-readonly.json <<'EOF'
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::my-bucket"] }
  ]
}
EOF
check "iam create-policy --policy-name ReadOnlyPolicy (prerequisite of the page's attach examples)" \
  --match '"Arn": "arn:aws:iam::[0-9]{12}:policy/ReadOnlyPolicy"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam create-policy --policy-name ReadOnlyPolicy --policy-document file://managed-readonly.json
check "iam attach-user-policy --user-name alice --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam attach-user-policy --user-name alice --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy
check "S3 as alice: s3 ls s3://my-bucket now allowed by the managed policy" --match 'hello\.txt' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 ls s3://my-bucket
check "iam list-attached-user-policies --user-name alice" --match '"PolicyName": "ReadOnlyPolicy"' \
  --match '"PolicyArn": "arn:aws:iam::[0-9]{12}:policy/ReadOnlyPolicy"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam list-attached-user-policies --user-name alice
check "iam delete-policy while attached is DeleteConflict" --fails --match 'DeleteConflict' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam delete-policy --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy
check "iam detach-user-policy --user-name alice --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam detach-user-policy --user-name alice --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy
check "S3 as alice: s3 ls s3://my-bucket denied again right after the detach" --fails --match 'AccessDenied' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 ls s3://my-bucket
check "iam list-attached-user-policies --user-name alice is empty" --match '"AttachedPolicies": \[\]' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam list-attached-user-policies --user-name alice
check "iam create-policy --policy-name MyManagedPolicy --policy-document file://policy.json" \
  --match '"PolicyName": "MyManagedPolicy"' --match '"DefaultVersionId": "v1"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam create-policy --policy-name MyManagedPolicy --policy-document file://policy.json
check "iam list-policies" --match '"PolicyName": "MyManagedPolicy"' --match '"PolicyName": "ReadOnlyPolicy"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam list-policies
check "iam get-policy --policy-arn arn:aws:iam:::policy/MyManagedPolicy" --match '"PolicyName": "MyManagedPolicy"' \
  --match '"AttachmentCount": 0' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam get-policy --policy-arn arn:aws:iam:::policy/MyManagedPolicy
check "iam delete-policy --policy-arn arn:aws:iam:::policy/MyManagedPolicy" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam delete-policy --policy-arn arn:aws:iam:::policy/MyManagedPolicy
check "iam get-policy after delete-policy is NoSuchEntity" --fails --match 'NoSuchEntity' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam get-policy --policy-arn arn:aws:iam:::policy/MyManagedPolicy

# --- Self-Service: alice manages her own keys (no --user-name)
check "as alice: iam create-access-key (no --user-name)" --match '"UserName": "alice"' --match '"SecretAccessKey"' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" iam create-access-key
A2=$(json 'd["AccessKey"]["AccessKeyId"]' <<<"$OUT" 2>/dev/null || true)
S2=$(json 'd["AccessKey"]["SecretAccessKey"]' <<<"$OUT" 2>/dev/null || true)
check "S3 with alice's self-made key: get my-bucket/hello.txt" --match '^hello from my-bucket$' -- \
  env AWS_ACCESS_KEY_ID="$A2" AWS_SECRET_ACCESS_KEY="$S2" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "as alice: iam list-access-keys" --match "\"AccessKeyId\": \"$A1\"" --match "\"AccessKeyId\": \"$A2\"" -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" iam list-access-keys
check "as alice: iam update-access-key --access-key-id <new key> --status Inactive" -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" iam update-access-key --access-key-id "$A2" --status Inactive
check "S3 with the deactivated key is refused" --fails --match "$REFUSED" -- \
  env AWS_ACCESS_KEY_ID="$A2" AWS_SECRET_ACCESS_KEY="$S2" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "as alice: iam list-users (admin only) is AccessDenied" --fails --match 'AccessDenied' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" iam list-users
check "as alice: iam create-access-key --user-name other (admin only) is AccessDenied" --fails --match 'AccessDenied' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" iam create-access-key --user-name other

# --- User and Access Key Status Management. `aws iam set-user-status` is a SeaweedFS action the aws CLI
# has no command for (it answers "Invalid choice"); send the same request signed by curl instead.
SET_USER_STATUS=(curl -sS -X POST "$AWS_ENDPOINT" --data-urlencode "Action=SetUserStatus" --data-urlencode "UserName=alice"
  --aws-sigv4 "aws:amz:us-east-1:iam" --user "$ROOT_AK:$ROOT_SK" --data-urlencode)
check "SetUserStatus --user-name alice --status Inactive (curl)" --no-match '<Error>' --match 'SetUserStatusResponse' -- \
  "${SET_USER_STATUS[@]}" Status=Inactive
check "S3 as the disabled alice is refused" --fails --match "$REFUSED" -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "SetUserStatus --user-name alice --status Active (curl)" --no-match '<Error>' --match 'SetUserStatusResponse' -- \
  "${SET_USER_STATUS[@]}" Status=Active
check "S3 as the re-enabled alice works again" --match '^hello from my-bucket$' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "iam update-access-key --user-name alice --access-key-id <key> --status Inactive" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam update-access-key --user-name alice --access-key-id "$A1" --status Inactive
check "S3 with alice's deactivated key is refused" --fails --match "$REFUSED" -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "iam update-access-key --user-name alice --access-key-id <key> --status Active" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam update-access-key --user-name alice --access-key-id "$A1" --status Active
check "S3 with alice's reactivated key works" --match '^hello from my-bucket$' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 cp s3://my-bucket/hello.txt -
check "iam list-access-keys --user-name alice shows their status" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam list-access-keys --user-name alice
expect_eq "iam list-access-keys: alice's keys and their statuses" \
  "$(json '" ".join(sorted(k["AccessKeyId"] + "=" + k["Status"] for k in d["AccessKeyMetadata"]))' <<<"$OUT" 2>/dev/null)" \
  "$(printf '%s\n' "$A1=Active" "$A2=Inactive" | sort | tr '\n' ' ' | sed 's/ $//')"

# --- Group Management
check "iam create-group --group-name developers" --match '"GroupName": "developers"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam create-group --group-name developers
check "iam add-user-to-group --group-name developers --user-name alice" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam add-user-to-group --group-name developers --user-name alice
check "iam attach-group-policy --group-name developers --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam attach-group-policy --group-name developers --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy
check "S3 as alice: s3 ls s3://my-bucket allowed through the group's policy" --match 'hello\.txt' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 ls s3://my-bucket
check "iam list-groups" --match '"GroupName": "developers"' -- $AWS --endpoint "$AWS_ENDPOINT" iam list-groups
check "iam get-group --group-name developers" --match '"UserName": "alice"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam get-group --group-name developers
check "iam list-attached-group-policies --group-name developers" --match '"PolicyName": "ReadOnlyPolicy"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam list-attached-group-policies --group-name developers
check "iam list-groups-for-user --user-name alice" --match '"GroupName": "developers"' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam list-groups-for-user --user-name alice
check "iam delete-group with a member and a policy is DeleteConflict" --fails --match 'DeleteConflict' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam delete-group --group-name developers
check "iam remove-user-from-group --group-name developers --user-name alice" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam remove-user-from-group --group-name developers --user-name alice
check "S3 as alice: s3 ls s3://my-bucket denied right after leaving the group" --fails --match 'AccessDenied' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 ls s3://my-bucket
check "iam delete-group with a policy still attached is DeleteConflict" --fails --match 'DeleteConflict' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam delete-group --group-name developers
check "iam detach-group-policy --group-name developers --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy" -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam detach-group-policy --group-name developers --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy
check "iam delete-group --group-name developers" -- $AWS --endpoint "$AWS_ENDPOINT" iam delete-group --group-name developers
check "iam get-group after delete-group is NoSuchEntity" --fails --match 'NoSuchEntity' -- \
  $AWS --endpoint "$AWS_ENDPOINT" iam get-group --group-name developers

# --- Clean up what this script made (so run.sh's later sections see a tidy server).
check "cleanup: delete alice's keys, inline policy, user; ReadOnlyPolicy; my-bucket" -- bash -c '
  set -e
  aws() { /usr/bin/aws --endpoint "$AWS_ENDPOINT" "$@"; }
  for k in $(aws iam list-access-keys --user-name alice --query "AccessKeyMetadata[].AccessKeyId" --output text); do
    aws iam delete-access-key --user-name alice --access-key-id "$k"
  done
  aws iam delete-user-policy --user-name alice --policy-name ReadOnlyPolicy
  aws iam delete-user --user-name alice
  aws iam delete-policy --policy-arn arn:aws:iam:::policy/ReadOnlyPolicy
  aws s3 rb --force s3://my-bucket >/dev/null'
check "S3 with alice's old key after the user is gone is InvalidAccessKeyId" --fails --match 'InvalidAccessKeyId' -- \
  env AWS_ACCESS_KEY_ID="$A1" AWS_SECRET_ACCESS_KEY="$S1" $AWS --endpoint "$AWS_ENDPOINT" s3 ls
cd "$_IAM_PREV_PWD" || true

if [[ ${IAM_STANDALONE:-0} == 1 ]]; then
  section "server health after the suite"
  check "server still running" -- kill -0 "$SERVER_PID"
  check "no unhandled errors in the server log" --no-match 'Unhandled|uncaught|TypeError|ReferenceError' -- cat "$WORK/server.log"
  echo
  if ((FAIL > 0)); then
    echo "failed steps:"
    printf '  - %s\n' "${FAILED_STEPS[@]}"
  fi
  echo "$PASS passed, $FAIL failed"
  ((FAIL == 0))
  exit $?
fi
