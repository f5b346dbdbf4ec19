"""Reference for the storage benchmark: uploads standard input to S3 as it arrives (boto3's
managed multipart upload, 8 MiB parts), the way `aws s3 cp - s3://bucket/key` does.
Usage: ... | s3_put_stdin.py ENDPOINT BUCKET KEY   (credentials from S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY)"""
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig

endpoint, bucket, key = sys.argv[1:4]
client = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("S3_REGION", "us-east-1"),
                      aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"], aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"])
try:
    client.create_bucket(Bucket=bucket)
except client.exceptions.BucketAlreadyOwnedByYou:
    pass
except client.exceptions.BucketAlreadyExists:
    pass
client.upload_fileobj(sys.stdin.buffer, bucket, key, Config=TransferConfig(multipart_chunksize=8 << 20, max_concurrency=2))
client.delete_object(Bucket=bucket, Key=key)
