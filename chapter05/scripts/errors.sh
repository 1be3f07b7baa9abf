#!/usr/bin/env bash
# make errors: provokes each message of docs/09-common-errors.md for real
# (hpio.docs.CommonErrors in the test sources), prints it under the page's
# section, and exits 1 if one of them is not on the page.
#
#   chapter05/scripts/errors.sh [--fast]    --fast: skip the child JVMs (EMFILE, select past FD_SETSIZE, exercise 1)
#
# Expects the compiled test classes and chapter05/target/bench-classpath.txt, as
# the Makefile's errors target makes them.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=$(chapter05/scripts/find-jdk.sh)
target=chapter05/target
if [ ! -f "$target/bench-classpath.txt" ] || [ ! -f "$target/test-classes/hpio/docs/CommonErrors.class" ]; then
  echo "errors: not built ($target/bench-classpath.txt or test-classes/hpio/docs/CommonErrors.class missing): run 'make errors'" >&2
  exit 1
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC \
  -cp "$target/classes:$target/test-classes:$(cat "$target/bench-classpath.txt")" hpio.docs.CommonErrors "$@"
