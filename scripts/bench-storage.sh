#!/usr/bin/env bash
# Backup throughput to the directory and to the object store, each beside its reference in the
# same run: `ssh host tar > file` and `ssh host tar | s3 upload` (boto3's streaming multipart
# upload, as `aws s3 cp -` does). Uses the sshd test host and the S3-protocol server (moto) that
# `scripts/test.sh --services-only` starts. Prints Markdown rows for BENCHMARKS.md.
# Usage: scripts/test.sh --services-only && scripts/bench-storage.sh [megabytes] [runs]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
cd "$MM_ROOT"
MB=${1:-400}
RUNS=${2:-3}
source .local/test/env.sh
source .local/test/s3/s3.env
export S3_ACCESS_KEY_ID=$MM_TEST_S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY=$MM_TEST_S3_SECRET_ACCESS_KEY
swift build -c release --product medicineman-bench >/dev/null 2>&1 || { echo "release build failed" >&2; exit 1; }
BENCH="$MM_ROOT/.build/release/medicineman-bench"
KEY="$MM_TEST_SSH_KEYS/id_ed25519"
PY="$MM_ROOT/.local/venv/bin/python"
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
common=(--port "$MM_TEST_SSH_PORT" --user mmtest --key "$KEY" --megabytes "$MB" --runs "$RUNS" --compression none
        --cipher aes128-ctr --mac hmac-sha2-256 --output "$MM_ROOT/.local/bench-storage")
mkdir -p "$MM_ROOT/.local/bench-storage"

dir=$("$BENCH" backup "${common[@]}" | tail -n 1)
s3=$("$BENCH" backup "${common[@]}" --storage s3 --s3-endpoint "$MM_TEST_S3_ENDPOINT" --s3-access-key-id "$S3_ACCESS_KEY_ID" | tail -n 1)
sealed=$("$BENCH" backup "${common[@]}" --encrypt | tail -n 1)

# The object-store reference: the same tar stream over OpenSSH into a streaming multipart upload.
ssh_opts=(-q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -c aes128-ctr -m hmac-sha2-256 -i "$KEY" -p "$MM_TEST_SSH_PORT")
cp "$KEY" "$MM_ROOT/.local/bench-storage/key" && chmod 600 "$MM_ROOT/.local/bench-storage/key"
ssh_opts[-3]="$MM_ROOT/.local/bench-storage/key"
data='$HOME/medicineman-bench-s3ref'
ssh "${ssh_opts[@]}" mmtest@127.0.0.1 "mkdir -p $data && head -c $((MB / 2))M /dev/urandom > $data/random && seq 1 100000000 | head -c $((MB / 2))M > $data/text"
best=0
for _ in $(seq "$RUNS"); do
  start=$(date +%s.%N)
  ssh "${ssh_opts[@]}" mmtest@127.0.0.1 "tar cf - $data" | "$PY" scripts/s3_put_stdin.py "$MM_TEST_S3_ENDPOINT" medicineman-bench reference.tar
  rate=$(python3 -c "import sys; print(round($MB / ($(date +%s.%N) - $start), 1))")
  best=$(python3 -c "print(max($best, $rate))")
done
ssh "${ssh_opts[@]}" mmtest@127.0.0.1 "rm -rf $data"

echo "| storage | ours (MB/s) | reference in the same run | reference (MB/s) | ratio |"
echo "|---|---:|---|---:|---:|"
echo "| directory | $(field "$dir" ours_mb_per_sec) | ssh host tar > file | $(field "$dir" ssh_tar_mb_per_sec) | $(field "$dir" ratio) |"
echo "| directory, sealed (AES-256-GCM) | $(field "$sealed" ours_mb_per_sec) | ssh host tar > file | $(field "$sealed" ssh_tar_mb_per_sec) | $(field "$sealed" ratio) |"
echo "| object store (moto) | $(field "$s3" ours_mb_per_sec) | ssh host tar \| boto3 multipart upload | $best | $(python3 -c "print(round($(field "$s3" ours_mb_per_sec) / $best, 2))") |"
