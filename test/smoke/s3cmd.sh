# Interop with s3cmd (Debian's package): path-style against 127.0.0.1, SigV4 by default and SigV2 for
# one put/get; mb, put, get, ls, la, info, del, sync, rb, and the POSIX view of what it wrote.
# Sourced by run.sh (uses HOSTPORT, AK, SK, DATA, FIX, WORK and the helpers of lib.sh).
# shellcheck shell=bash

section "s3cmd ($(s3cmd --version 2>&1))"
S3CFG=$WORK/s3cfg
# An explicit config file so nothing from ~/.s3cfg leaks in; the flags below are what a user types.
cat >"$S3CFG" <<EOF
[default]
access_key = $AK
secret_key = $SK
bucket_location = us-east-1
use_https = False
check_ssl_certificate = False
progress_meter = False
EOF
s3c() { s3cmd -c "$S3CFG" --no-ssl --host="$HOSTPORT" --host-bucket="$HOSTPORT" "$@"; }
export -f s3c
export S3CFG HOSTPORT
B=smoke-s3cmd
S=$WORK/s3cmd
mkdir -p "$S"

check "s3cmd mb" --match "Bucket 's3://$B/' created" -- s3c mb "s3://$B"
check "s3cmd ls shows the bucket" --match "s3://$B\$" -- s3c ls
check "s3cmd put small file" --match 'upload:' -- s3c put "$FIX/small.txt" "s3://$B/docs/small.txt"
same_file "POSIX view: s3cmd's object is the plain file <data>/$B/docs/small.txt" "$FIX/small.txt" "$DATA/$B/docs/small.txt"
check "s3cmd get small file" --match 'download:' -- s3c get --force "s3://$B/docs/small.txt" "$S/small.txt"
same_file "s3cmd: small file round-trips" "$FIX/small.txt" "$S/small.txt"
check "s3cmd put 50 MiB file (multipart, 15 MiB chunks)" --match 'upload:' -- \
  s3c put --multipart-chunk-size-mb=15 "$FIX/big.bin" "s3://$B/big.bin"
check "s3cmd: the 50 MiB object was uploaded in 4 parts (ETag …-4)" --match '^"?[0-9a-f]{32}-4"?$' -- \
  /usr/bin/aws --endpoint-url "$EP" s3api head-object --bucket "$B" --key big.bin --query ETag --output text
check "s3cmd get 50 MiB file" -- s3c get --force "s3://$B/big.bin" "$S/big.bin"
same_file "s3cmd: 50 MiB file round-trips" "$FIX/big.bin" "$S/big.bin"
same_file "POSIX view: s3cmd's multipart object is one plain file" "$FIX/big.bin" "$DATA/$B/big.bin"
check "s3cmd ls bucket shows prefix and object" --match 'DIR +s3://'"$B"'/docs/' --match "s3://$B/big.bin" -- s3c ls "s3://$B"
check "s3cmd ls --recursive" --match "s3://$B/docs/small.txt" -- s3c ls --recursive "s3://$B"
check "s3cmd la lists objects in all buckets" --match "s3://$B/big.bin" -- s3c la
check "s3cmd info object shows its MD5" --match "MD5 sum: +$(md5sum <"$FIX/small.txt" | cut -d' ' -f1)" -- \
  s3c info "s3://$B/docs/small.txt"
check "s3cmd info bucket" --match 'Location:' -- s3c info "s3://$B"

# SigV2 (header auth) for one put/get: older clients still speak it.
check "s3cmd --signature-v2 put" --match 'upload:' -- s3c --signature-v2 put "$FIX/small.txt" "s3://$B/v2/small.txt"
check "s3cmd --signature-v2 get" -- s3c --signature-v2 get --force "s3://$B/v2/small.txt" "$S/v2.txt"
same_file "s3cmd: SigV2 round-trip" "$FIX/small.txt" "$S/v2.txt"
check "s3cmd --signature-v2 with a wrong secret is refused" --fails --match 'SignatureDoesNotMatch|403' -- \
  s3c --signature-v2 --secret_key=wrong-secret-wrong get --force "s3://$B/v2/small.txt" "$S/v2-bad.txt"

check "s3cmd sync tree up" --match 'upload:' -- s3c sync "$FIX/tree/" "s3://$B/tree/"
check "s3cmd sync again uploads nothing" --no-match 'upload:' -- s3c sync "$FIX/tree/" "s3://$B/tree/"
mkdir -p "$S/tree"
check "s3cmd sync tree down" -- s3c sync "s3://$B/tree/" "$S/tree/"
check "s3cmd: synced tree is identical" -- diff -r "$FIX/tree" "$S/tree"
same_file "POSIX view: a key with non-ASCII characters is a plain file" "$FIX/tree/ünï-côdé.txt" "$DATA/$B/tree/ünï-côdé.txt"

check "s3cmd del" --match 'delete:' -- s3c del "s3://$B/docs/small.txt"
check "s3cmd: deleted object is no longer listed" --no-match 'docs/small.txt' -- s3c ls --recursive "s3://$B"
check "s3cmd rb of a non-empty bucket is refused (BucketNotEmpty)" --fails --match 'BucketNotEmpty' -- s3c rb "s3://$B"
check "s3cmd del --recursive --force" --match 'delete:' -- s3c del --recursive --force "s3://$B"
check "s3cmd rb" --match "Bucket 's3://$B/' removed" -- s3c rb "s3://$B"
check "s3cmd ls no longer shows the bucket" --no-match "s3://$B\$" -- s3c ls
