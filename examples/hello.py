"""Process Hello: greets `name`. Input arguments arrive as JSON on stdin (and in
BATON_INPUT_FILE); the output arguments are the JSON object written to BATON_OUTPUT_FILE."""
import json
import os
import signal
import sys
import time

def on_sigterm(_signum, _frame):
    # SoftStop: stop cleanly; the job ends Stopped whatever the exit code
    print("stop requested, exiting", file=sys.stderr)
    sys.exit(143)

signal.signal(signal.SIGTERM, on_sigterm)

args = json.load(sys.stdin)
name = args.get("name", "world")
print(f"greeting {name}")  # stdout lines become job logs
time.sleep(float(args.get("delaySeconds", 0)))
if args.get("fail"):
    print("asked to fail", file=sys.stderr)
    sys.exit(2)

with open(os.environ["BATON_OUTPUT_FILE"], "w") as out:
    json.dump({"greeting": f"Hello, {name}!"}, out)
