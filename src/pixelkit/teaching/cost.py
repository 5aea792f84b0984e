"""What a run of step 5 would cost on AWS: Lambda GB-seconds from the REPORT lines, plus S3 requests.

Lambda bills each invocation's billed duration times its configured memory; the
REPORT line that ends every invocation says both, so the estimate reads them from the
function's log rather than guessing. S3 bills requests: per picture, the upload, the
function's read and five writes, and the kit's waits and downloads. Prices: prices.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pixelkit.teaching import prices

REPORT = re.compile(r"^REPORT RequestId: .*?Billed Duration: (?P<billed>[\d.]+) ms\s+Memory Size: (?P<memory>\d+) MB")


@dataclass(frozen=True)
class CostEstimate:
    invocations: int
    gb_seconds: float
    s3_writes: int
    s3_reads: int
    architecture: str

    @property
    def lambda_dollars(self) -> float:
        return self.gb_seconds * prices.LAMBDA_GB_SECOND[self.architecture] + self.invocations * prices.LAMBDA_REQUEST

    @property
    def s3_dollars(self) -> float:
        return self.s3_writes * prices.S3_WRITE_REQUEST + self.s3_reads * prices.S3_READ_REQUEST

    @property
    def dollars(self) -> float:
        return self.lambda_dollars + self.s3_dollars

    def lines(self) -> list[str]:
        return [
            f"Cost estimate of this run on AWS (list prices of {prices.PRICES_REGION}, {prices.PRICES_AS_OF}; "
            "before the free tier, which usually covers it all):",
            f"  Lambda: {self.invocations} invocation(s), {self.gb_seconds:.3f} GB-seconds ({self.architecture})"
            f"  ${self.lambda_dollars:.6f}",
            f"  S3: {self.s3_writes} PUT and {self.s3_reads} GET/HEAD requests  ${self.s3_dollars:.6f}",
            f"  Total: ${self.dollars:.6f}  (a class of 30 doing the same: ${30 * self.dollars:.4f})",
        ]


def lambda_usage(log_lines: list[str]) -> tuple[int, float]:
    """Invocations and GB-seconds, from the REPORT lines of the function's log."""
    invocations, gb_seconds = 0, 0.0
    for line in log_lines:
        match = REPORT.match(line)
        if match:
            invocations += 1
            gb_seconds += float(match["billed"]) / 1000 * int(match["memory"]) / 1024
    return invocations, gb_seconds


def estimate_run_cost(log_lines: list[str], pictures: int, outputs_per_picture: int = 5,
                      architecture: str = "x86_64") -> CostEstimate:
    """The estimate for step 5: ``pictures`` uploaded, each giving ``outputs_per_picture`` outputs."""
    invocations, gb_seconds = lambda_usage(log_lines)
    # Writes: the upload and the function's outputs. Reads: the function's GET,
    # the kit's HEAD (waiting) and GET (downloading) of each output.
    s3_writes = pictures * (1 + outputs_per_picture)
    s3_reads = pictures * (1 + 2 * outputs_per_picture)
    return CostEstimate(invocations, gb_seconds, s3_writes, s3_reads, architecture)
