"""The AWS list prices the cost estimate uses: one place, one date.

Published on-demand list prices for us-east-1 (N. Virginia), in US dollars, as on
https://aws.amazon.com/lambda/pricing/ and https://aws.amazon.com/s3/pricing/.
They have not changed for years, but check the pages before you quote them: other
regions differ a little, and the free tier (1 million Lambda requests and 400,000
GB-seconds a month; for new accounts, 2,000 S3 PUT and 20,000 GET requests) usually
makes a workshop cost nothing at all.
"""

PRICES_AS_OF = "2025-01-01"
PRICES_REGION = "us-east-1"

# Lambda: per GB-second of billed duration x configured memory, by architecture; per request.
LAMBDA_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
LAMBDA_REQUEST = 0.20 / 1_000_000

# S3 Standard: PUT, COPY, POST and LIST requests; GET, HEAD and other reads.
S3_WRITE_REQUEST = 0.005 / 1_000
S3_READ_REQUEST = 0.0004 / 1_000
