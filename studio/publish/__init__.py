"""`studio publish`: the output dir to a target (a folder, or S3-compatible object storage).

files.py   what to publish: files, hashes, order, safe paths
target.py  the small interface every target implements, the result, the error
folder.py  --to DIR: staged copies, moved into place, rolled back on failure
s3.py      --to s3://BUCKET/PREFIX: boto3 uploads by phase, hashes recorded in the bucket
run.py     the one publish flow over any target; push.py pings hubs afterwards
"""
