# Interop with the aws CLI v2 (Debian's /usr/bin/aws, not an older shim on PATH): high-level `aws s3`
# commands, `aws s3api` operations one by one, a presigned URL fetched with curl, and the POSIX view.
# Sourced by run.sh (uses EP, DATA, FIX, WORK and the helpers of lib.sh).
# shellcheck shell=bash

section "aws CLI ($(/usr/bin/aws --version 2>&1 | cut -d' ' -f1))"
aws() { /usr/bin/aws --endpoint-url "$EP" --region us-east-1 "$@"; }
export -f aws
export EP
B=smoke-aws
A=$WORK/aws
mkdir -p "$A"

# --- auth is enforced
check "aws: a wrong secret is refused with SignatureDoesNotMatch" --fails --match 'SignatureDoesNotMatch' -- \
  env AWS_SECRET_ACCESS_KEY=wrong-secret-wrong-secret /usr/bin/aws --endpoint-url "$EP" s3 ls
check "aws: an unknown key is refused with InvalidAccessKeyId" --fails --match 'InvalidAccessKeyId' -- \
  env AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 /usr/bin/aws --endpoint-url "$EP" s3 ls

# --- aws s3: mb, cp up/down, multipart via a 50 MiB file, POSIX view
check "aws s3 mb" --match "make_bucket: $B" -- aws s3 mb "s3://$B"
check "aws s3 ls lists the bucket" --match " $B\$" -- aws s3 ls
check "aws s3api head-bucket" -- aws s3api head-bucket --bucket "$B"
check "aws s3 cp small file up" --match "upload: " -- aws s3 cp "$FIX/small.txt" "s3://$B/dir/small.txt"
check "aws s3 cp small file down" -- aws s3 cp "s3://$B/dir/small.txt" "$A/small.txt"
same_file "aws: small file round-trips byte for byte" "$FIX/small.txt" "$A/small.txt"
same_file "POSIX view: small object is the plain file <data>/$B/dir/small.txt" "$FIX/small.txt" "$DATA/$B/dir/small.txt"
check "aws s3 cp 50 MiB file up (multipart)" --match "upload: " -- aws s3 cp "$FIX/big.bin" "s3://$B/big/big.bin"
check "aws: the 50 MiB object has a multipart ETag (md5-of-md5s-N)" --match '^"?[0-9a-f]{32}-[0-9]+"?$' -- \
  aws s3api head-object --bucket "$B" --key big/big.bin --query ETag --output text
check "aws: the 50 MiB object has the right size" --match '^52428800$' -- \
  aws s3api head-object --bucket "$B" --key big/big.bin --query ContentLength --output text
check "aws s3 cp 50 MiB file down" -- aws s3 cp "s3://$B/big/big.bin" "$A/big.bin"
expect_eq "aws: 50 MiB file round-trips (sha256)" "$(sha256sum <"$A/big.bin" 2>/dev/null)" "$(sha256sum <"$FIX/big.bin")"
same_file "POSIX view: multipart object is one plain file with identical bytes" "$FIX/big.bin" "$DATA/$B/big/big.bin"

# --- aws s3 sync up and back
check "aws s3 sync tree up" --match 'upload: ' -- aws s3 sync "$FIX/tree" "s3://$B/tree"
check "aws s3 sync again uploads nothing" --no-match 'upload: ' -- aws s3 sync "$FIX/tree" "s3://$B/tree"
check "aws s3 sync tree back down" -- aws s3 sync "s3://$B/tree" "$A/tree"
check "aws: synced tree is identical" -- diff -r "$FIX/tree" "$A/tree"
same_file "POSIX view: synced key with spaces is a plain file" "$FIX/tree/with space/d e.txt" "$DATA/$B/tree/with space/d e.txt"

# --- aws s3 ls: prefixes and recursive
check "aws s3 ls bucket shows prefixes" --match 'PRE dir/' --match 'PRE tree/' --match 'PRE big/' -- aws s3 ls "s3://$B/"
check "aws s3 ls a prefix shows sub-prefixes and files" --match 'PRE deep/' --match ' b\.txt$' -- aws s3 ls "s3://$B/tree/sub/"
check "aws s3 ls --recursive lists every key" --match 'tree/sub/deep/c\.bin' --match 'tree/with space/d e\.txt' \
  --match 'dir/small\.txt' -- aws s3 ls --recursive "s3://$B"
expect_eq "aws s3 ls --recursive count" "$(grep -c . <<<"$OUT")" "8"

# --- s3api: metadata, tagging, head, range, copy
check "aws s3api put-object with metadata, tagging, content-type" --match 'ETag' -- \
  aws s3api put-object --bucket "$B" --key meta/obj.txt --body "$FIX/small.txt" \
  --metadata color=blue,shape=round --tagging 'k1=v1&k2=v2' --content-type text/plain --cache-control max-age=60
check "aws s3api head-object returns metadata and headers" --match '"color": "blue"' --match '"shape": "round"' \
  --match '"ContentType": "text/plain"' --match '"CacheControl": "max-age=60"' --match '"ContentLength": 36' -- \
  aws s3api head-object --bucket "$B" --key meta/obj.txt
check "aws s3api get-object-tagging" --match '"Key": "k1"' --match '"Value": "v2"' -- \
  aws s3api get-object-tagging --bucket "$B" --key meta/obj.txt
check "aws s3api get-object with a range" --match '"ContentRange": "bytes 6-9/36"' --match '"ContentLength": 4' -- \
  aws s3api get-object --bucket "$B" --key meta/obj.txt --range bytes=6-9 "$A/range.out"
expect_eq "aws: ranged body is bytes 6-9" "$(cat "$A/range.out" 2>/dev/null)" "from"
check "aws s3api get-object with a suffix range" --match '"ContentLength": 6' -- \
  aws s3api get-object --bucket "$B" --key meta/obj.txt --range bytes=-6 "$A/suffix.out"
expect_eq "aws: suffix range body" "$(cat "$A/suffix.out" 2>/dev/null)" "suite"
check "aws s3api get-object If-None-Match with the ETag → 304" --fails --match '304|Not Modified' -- \
  aws s3api get-object --bucket "$B" --key meta/obj.txt --if-none-match "$(aws s3api head-object --bucket "$B" --key meta/obj.txt --query ETag --output text)" "$A/inm.out"
check "aws s3api copy-object (metadata copied)" --match 'CopyObjectResult' -- \
  aws s3api copy-object --bucket "$B" --key meta/copy.txt --copy-source "$B/meta/obj.txt"
check "aws: the copy keeps metadata" --match '"color": "blue"' --match '"ContentType": "text/plain"' -- \
  aws s3api head-object --bucket "$B" --key meta/copy.txt
check "aws s3api copy-object with REPLACE metadata" --match 'CopyObjectResult' -- \
  aws s3api copy-object --bucket "$B" --key meta/copy2.txt --copy-source "$B/meta/obj.txt" \
  --metadata-directive REPLACE --metadata color=red --content-type application/x-test
check "aws: the REPLACE copy has the new metadata" --match '"color": "red"' --no-match '"shape"' \
  --match '"ContentType": "application/x-test"' -- aws s3api head-object --bucket "$B" --key meta/copy2.txt
same_file "POSIX view: a copied object is a plain file" "$FIX/small.txt" "$DATA/$B/meta/copy2.txt"
check "aws s3api get-object of a missing key → NoSuchKey" --fails --match 'NoSuchKey' -- \
  aws s3api get-object --bucket "$B" --key meta/missing.txt "$A/missing.out"

# --- listing: delimiter, prefix, pagination, versions
for i in 1 2 3 4 5; do printf 'page %s\n' "$i" >"$A/p$i"; done
pages_ok=1
for i in 1 2 3 4 5; do aws s3api put-object --bucket "$B" --key "page/$i" --body "$A/p$i" >/dev/null 2>&1 || pages_ok=0; done
expect_eq "aws: five page/ keys stored" "$pages_ok" 1
check "aws s3api list-objects-v2 with delimiter and prefix" --match '"Prefix": "tree/sub/"' --match '"Key": "tree/a.txt"' \
  --no-match '"Key": "tree/sub/b.txt"' -- aws s3api list-objects-v2 --bucket "$B" --prefix tree/ --delimiter /
check "aws s3api list-objects-v2 at the root with delimiter" --match '"Prefix": "big/"' --match '"Prefix": "page/"' -- \
  aws s3api list-objects-v2 --bucket "$B" --delimiter /
# --page-size sets MaxKeys per request; --max-items cuts the CLI's output and hands back a NextToken.
if check "aws s3api list-objects-v2 --max-items 3 --page-size 2 (first page)" --match '"NextToken"' -- \
  aws s3api list-objects-v2 --bucket "$B" --prefix page/ --page-size 2 --max-items 3; then
  first=$(json "' '.join(c['Key'] for c in d['Contents'])" <<<"$OUT")
  token=$(json "d['NextToken']" <<<"$OUT")
  expect_eq "aws: first page holds page/1..3" "$first" "page/1 page/2 page/3"
  if check "aws s3api list-objects-v2 --starting-token (rest)" -- \
    aws s3api list-objects-v2 --bucket "$B" --prefix page/ --page-size 2 --max-items 3 --starting-token "$token"; then
    expect_eq "aws: second page holds page/4..5" "$(json "' '.join(c['Key'] for c in d['Contents'])" <<<"$OUT")" "page/4 page/5"
  fi
fi
check "aws s3api list-objects (v1) with marker" --match '"Key": "page/3"' --no-match '"Key": "page/2"' -- \
  aws s3api list-objects --bucket "$B" --prefix page/ --marker page/2
if check "aws s3api list-object-versions" --match '"VersionId": "null"' -- \
  aws s3api list-object-versions --bucket "$B" --prefix page/; then
  expect_eq "aws: list-object-versions shows 5 current versions" \
    "$(json "sum(1 for v in d.get('Versions',[]) if v['IsLatest'])" <<<"$OUT")" "5"
fi
check "aws s3api get-bucket-versioning (not enabled)" -- aws s3api get-bucket-versioning --bucket "$B"
if check "aws s3api delete-objects" -- aws s3api delete-objects --bucket "$B" \
  --delete '{"Objects":[{"Key":"page/1"},{"Key":"page/2"},{"Key":"page/never-existed"}],"Quiet":false}'; then
  expect_eq "aws: delete-objects reports 3 deleted" "$(json "len(d.get('Deleted',[]))" <<<"$OUT")" "3"
fi
check "aws: after delete-objects 3 page/ keys remain" --match '^page/3	page/4	page/5$|^page/3\s+page/4\s+page/5$' -- \
  aws s3api list-objects-v2 --bucket "$B" --prefix page/ --query 'Contents[].Key' --output text
check "POSIX view: a deleted object's file is gone" --fails -- test -e "$DATA/$B/page/1"

# --- multipart by hand: create, upload parts, list, complete; and abort
head -c $((5 * 1024 * 1024)) /dev/urandom >"$A/part1"
printf 'the last part may be small\n' >"$A/part2"
if check "aws s3api create-multipart-upload" --match '"UploadId"' -- \
  aws s3api create-multipart-upload --bucket "$B" --key mpu/object.bin --content-type application/x-mpu; then
  UPLOAD=$(json "d['UploadId']" <<<"$OUT")
  check "aws s3api upload-part 1" --match '"ETag"' -- aws s3api upload-part --bucket "$B" --key mpu/object.bin \
    --upload-id "$UPLOAD" --part-number 1 --body "$A/part1"
  E1=$(json "d.get('ETag','')" <<<"$OUT" 2>/dev/null)
  check "aws s3api upload-part 2" --match '"ETag"' -- aws s3api upload-part --bucket "$B" --key mpu/object.bin \
    --upload-id "$UPLOAD" --part-number 2 --body "$A/part2"
  E2=$(json "d.get('ETag','')" <<<"$OUT" 2>/dev/null)
  check "aws s3api list-parts" --match '"PartNumber": 1' --match '"PartNumber": 2' -- \
    aws s3api list-parts --bucket "$B" --key mpu/object.bin --upload-id "$UPLOAD"
  check "aws s3api list-multipart-uploads shows it" --match "$UPLOAD" -- aws s3api list-multipart-uploads --bucket "$B"
  printf '{"Parts":[{"PartNumber":1,"ETag":%s},{"PartNumber":2,"ETag":%s}]}' \
    "$(printf '%s' "$E1" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" \
    "$(printf '%s' "$E2" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" >"$A/parts.json"
  check "aws s3api complete-multipart-upload" --match '"ETag": "\\"[0-9a-f]{32}-2\\""' -- \
    aws s3api complete-multipart-upload --bucket "$B" --key mpu/object.bin --upload-id "$UPLOAD" \
    --multipart-upload "file://$A/parts.json"
  cat "$A/part1" "$A/part2" >"$A/mpu.expected"
  check "aws s3api get-object of the completed upload" --match '"ContentType": "application/x-mpu"' -- \
    aws s3api get-object --bucket "$B" --key mpu/object.bin "$A/mpu.out"
  same_file "aws: completed multipart object = part 1 + part 2" "$A/mpu.expected" "$A/mpu.out"
  same_file "POSIX view: completed multipart object is a plain file" "$A/mpu.expected" "$DATA/$B/mpu/object.bin"
fi
if check "aws s3api create-multipart-upload (to abort)" --match '"UploadId"' -- \
  aws s3api create-multipart-upload --bucket "$B" --key mpu/aborted.bin; then
  UPLOAD2=$(json "d['UploadId']" <<<"$OUT")
  check "aws s3api upload-part (to abort)" -- aws s3api upload-part --bucket "$B" --key mpu/aborted.bin \
    --upload-id "$UPLOAD2" --part-number 1 --body "$A/part2"
  check "aws s3api abort-multipart-upload" -- aws s3api abort-multipart-upload --bucket "$B" --key mpu/aborted.bin \
    --upload-id "$UPLOAD2"
  check "aws: the aborted upload is no longer listed" --no-match "$UPLOAD2" -- aws s3api list-multipart-uploads --bucket "$B"
  check "aws: the aborted upload left no object" --fails --match '404|Not Found' -- \
    aws s3api head-object --bucket "$B" --key mpu/aborted.bin
fi

# --- bucket configuration: tagging, CORS (+ a preflight), location
check "aws s3api put-bucket-tagging" -- aws s3api put-bucket-tagging --bucket "$B" \
  --tagging 'TagSet=[{Key=env,Value=smoke},{Key=team,Value=storage}]'
check "aws s3api get-bucket-tagging" --match '"Key": "env"' --match '"Value": "smoke"' --match '"Value": "storage"' -- \
  aws s3api get-bucket-tagging --bucket "$B"
cat >"$A/cors.json" <<'EOF'
{"CORSRules":[{"AllowedOrigins":["https://app.example.com"],"AllowedMethods":["GET","PUT"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":600}]}
EOF
check "aws s3api put-bucket-cors" -- aws s3api put-bucket-cors --bucket "$B" --cors-configuration "file://$A/cors.json"
check "aws s3api get-bucket-cors" --match 'https://app.example.com' --match '"MaxAgeSeconds": 600' -- \
  aws s3api get-bucket-cors --bucket "$B"
check "CORS preflight (OPTIONS) is answered for an allowed origin" \
  --match '[Aa]ccess-[Cc]ontrol-[Aa]llow-[Oo]rigin: https://app.example.com' -- \
  curl -sS -i -X OPTIONS -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT' \
  "$EP/$B/meta/obj.txt"
check "aws s3api get-bucket-location" --match 'LocationConstraint' -- aws s3api get-bucket-location --bucket "$B"

# --- presigned URL fetched with curl
if check "aws s3 presign" --match '^http://.*X-Amz-Signature=' -- aws s3 presign "s3://$B/meta/obj.txt" --expires-in 300; then
  URL=$OUT
  check "curl fetches the presigned URL" -- curl -fsS -o "$A/presigned.out" "$URL"
  same_file "aws: presigned GET returns the object" "$FIX/small.txt" "$A/presigned.out"
  # The same signature for another key must not verify.
  check "curl: a presigned URL reused for another key is refused (403)" --match '^403$' -- \
    curl -sS -o /dev/null -w '%{http_code}' "${URL/meta\/obj.txt/meta\/copy.txt}"
fi

# --- clean up: rm --recursive and rb
check "aws s3 rm --recursive" --match 'delete: ' -- aws s3 rm --recursive "s3://$B"
check "aws: the bucket is empty afterwards" --no-match '.' -- aws s3 ls --recursive "s3://$B"
check "aws s3 rb" --match "remove_bucket: $B" -- aws s3 rb "s3://$B"
check "aws s3 ls no longer lists the bucket" --no-match " $B\$" -- aws s3 ls
check "POSIX view: the bucket directory is gone" --fails -- test -d "$DATA/$B"
