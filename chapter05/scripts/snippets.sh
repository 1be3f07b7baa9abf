#!/usr/bin/env bash
# Refreshes the java snippets in docs/ that are cut from source: each fence marked
# <!-- snippet: path/File.java#name --> gets the lines between
# "// snippet-start name" and "// snippet-end name" of that file again.
#   chapter05/scripts/snippets.sh --update
# Needs the test classes (make build). DocsAreTrueTest (in make test) fails when a
# marked snippet and its source region differ.
set -eu
here="$(cd "$(dirname "$0")/../.." && pwd)"
JAVA_HOME="$("$here/chapter05/scripts/find-jdk.sh")" || exit 1
classes="$here/chapter05/target/test-classes"
if [ ! -f "$classes/hpio/docs/DocSnippets.class" ]; then
  echo "snippets: $classes/hpio/docs/DocSnippets.class is missing: run 'make build' first" >&2
  exit 1
fi
cd "$here"
exec "$JAVA_HOME/bin/java" -cp "$classes" hpio.docs.DocSnippets "$@"
