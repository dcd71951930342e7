# Interop with rclone (Debian's package) through an on-the-fly remote defined in the environment
# (provider Other, path style): mkdir, copy, ls, lsf, check, md5sum, sync, delete, purge.
# Sourced by run.sh (uses EP, AK, SK, DATA, FIX, WORK and the helpers of lib.sh).
# shellcheck shell=bash

section "rclone ($(env -u AWS_CA_BUNDLE rclone version 2>/dev/null | head -n1))"
export RCLONE_CONFIG=$WORK/rclone.conf
: >"$RCLONE_CONFIG"
export RCLONE_CONFIG_COFFER_TYPE=s3 RCLONE_CONFIG_COFFER_PROVIDER=Other RCLONE_CONFIG_COFFER_ENV_AUTH=false
export RCLONE_CONFIG_COFFER_ACCESS_KEY_ID=$AK RCLONE_CONFIG_COFFER_SECRET_ACCESS_KEY=$SK
export RCLONE_CONFIG_COFFER_ENDPOINT=$EP RCLONE_CONFIG_COFFER_REGION=us-east-1 RCLONE_CONFIG_COFFER_FORCE_PATH_STYLE=true
# rclone 1.60 fails when AWS_CA_BUNDLE is set (FIELD-NOTES).
rc() { env -u AWS_CA_BUNDLE rclone --retries 1 --low-level-retries 1 "$@"; }
export -f rc
B=smoke-rclone
R=$WORK/rclone
mkdir -p "$R"

check "rclone mkdir" -- rc mkdir "coffer:$B"
check "rclone lsd shows the bucket" --match " $B\$" -- rc lsd coffer:
check "rclone copy tree up" -- rc copy "$FIX/tree" "coffer:$B/tree"
check "rclone ls lists sizes and paths" --match '^ +6 tree/a\.txt$' --match '^ +300000 tree/sub/deep/c\.bin$' \
  --match 'tree/with space/d e\.txt' -- rc ls "coffer:$B"
check "rclone lsf -R" --match '^sub/$' --match '^sub/deep/c\.bin$' --match '^ünï-côdé\.txt$' -- rc lsf -R "coffer:$B/tree"
check "rclone check tree (sizes and MD5s match)" --match '0 differences found' -- rc check "$FIX/tree" "coffer:$B/tree"
same_file "POSIX view: rclone's object is the plain file" "$FIX/tree/sub/deep/c.bin" "$DATA/$B/tree/sub/deep/c.bin"

# Multipart with rclone's own part size; rclone keeps the whole-file MD5 in user metadata.
check "rclone copyto 50 MiB file (multipart)" -- \
  rc copyto --s3-upload-cutoff 8M --s3-chunk-size 8M "$FIX/big.bin" "coffer:$B/big.bin"
check "rclone md5sum of the multipart object" --match "^$(md5sum <"$FIX/big.bin" | cut -d' ' -f1)  big.bin\$" -- \
  rc md5sum "coffer:$B/big.bin"
check "rclone copyto 50 MiB file back" -- rc copyto "coffer:$B/big.bin" "$R/big.bin"
same_file "rclone: 50 MiB file round-trips" "$FIX/big.bin" "$R/big.bin"

# sync: a changed, a new and a removed file.
cp -r "$FIX/tree" "$R/tree2"
rm "$R/tree2/a.txt"
printf 'bravo, changed\n' >"$R/tree2/sub/b.txt"
printf 'new file\n' >"$R/tree2/new.txt"
check "rclone sync changed tree" -- rc sync "$R/tree2" "coffer:$B/tree"
check "rclone check after sync" --match '0 differences found' -- rc check "$R/tree2" "coffer:$B/tree"
check "rclone: sync removed the deleted file" --no-match '^a\.txt$' --match '^new\.txt$' -- rc lsf -R "coffer:$B/tree"
same_file "POSIX view: the synced, changed file" "$R/tree2/sub/b.txt" "$DATA/$B/tree/sub/b.txt"
check "rclone copy tree back down" -- rc copy "coffer:$B/tree" "$R/back"
check "rclone: the tree copied back is identical" -- diff -r "$R/tree2" "$R/back"

check "rclone delete --include '*.txt'" -- rc delete --include '*.txt' "coffer:$B/tree"
check "rclone: only the .bin file is left under tree/" --match '^sub/deep/c\.bin$' --no-match '\.txt$' -- \
  rc lsf -R --files-only "coffer:$B/tree"
check "rclone purge" -- rc purge "coffer:$B"
check "rclone lsd no longer shows the bucket" --no-match " $B\$" -- rc lsd coffer:
