"""Load from a second process on loopback: wrk (Debian's), cycling through a file of requests,
reporting req/s, latency percentiles and the status mix as JSON."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Each thread starts at its own place in the list and walks it in steps of the thread count,
# so no two requests in flight share an entry. A line: method, path, body, authorization.
SCRIPT = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads)
  thread:set("stride", tonumber(os.getenv("BENCH_THREADS") or "2"))
end
function init(args)
  lines = {}
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  at = offset
  statuses = {}
end
function request()
  local line = lines[((at - 1) % #lines) + 1]
  at = at + stride
  local method, path, body, auth = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
  local headers = {["Content-Type"] = "application/json"}
  if auth ~= "" then headers["Authorization"] = auth end
  if body == "" then body = nil end
  return wrk.format(method, path, headers, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local mix = {}
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    for status, n in pairs(counted) do mix[tostring(status)] = (mix[tostring(status)] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(mix) do parts[#parts + 1] = string.format('"%s": %d', status, n) end
  io.write(string.format(
    '\nBENCH {"requests": %d, "seconds": %f, "errors": %d, "p50": %f, "p95": %f, ' ..
    '"p99": %f, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, table.concat(parts, ", ")))
end
"""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""
    authorization: str = ""

    def line(self) -> str:
        return "\t".join((self.method, self.path, self.body, self.authorization))


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run(
    url: str,
    requests: list[Request],
    *,
    seconds: float,
    connections: int = 64,
    threads: int = 2,
) -> Result:
    """Drive ``url`` with ``requests`` (cycled) for ``seconds``; wrk's own numbers."""
    workdir = Path(tempfile.mkdtemp(prefix="otpgate-wrk-"))
    listing = workdir / "requests.tsv"
    listing.write_text("\n".join(r.line() for r in requests) + "\n")
    script = workdir / "cycle.lua"
    script.write_text(SCRIPT)
    completed = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            str(listing),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"BENCH_THREADS": str(threads), "PATH": "/usr/bin:/bin"},
        timeout=seconds + 60,
    )
    line = next(x for x in completed.stdout.splitlines() if x.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    return Result(
        requests=data["requests"],
        seconds=data["seconds"],
        errors=data["errors"],
        p50_ms=data["p50"],
        p95_ms=data["p95"],
        p99_ms=data["p99"],
        statuses=data["statuses"],
    )
