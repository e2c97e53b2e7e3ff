#!/bin/sh
# Process WordCount: counts the words of `text`. Reads the input arguments from
# BATON_INPUT_FILE and writes {"words": N} to BATON_OUTPUT_FILE.
set -eu
text=$(python3 -c 'import json,os; print(json.load(open(os.environ["BATON_INPUT_FILE"])).get("text", ""))')
words=$(printf '%s' "$text" | wc -w | tr -d ' ')
echo "counted $words words"
printf '{"words": %s}' "$words" > "$BATON_OUTPUT_FILE"
