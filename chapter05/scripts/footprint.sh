#!/usr/bin/env bash
# make footprint: JOL's view of what one proxied connection costs in heap
# (hpio.lb.Footprint in the bench sources): the field layouts, the bytes per idle
# connection with what is counted and what is shared, and the pool at --max-conns.
#
#   chapter05/scripts/footprint.sh [N]     N: the pool size to measure (default 10000)
#
# Expects the compiled test classes and chapter05/target/bench-classpath.txt, as
# the Makefile's footprint target makes them.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=$(chapter05/scripts/find-jdk.sh)
target=chapter05/target
if [ ! -f "$target/bench-classpath.txt" ] || [ ! -f "$target/test-classes/hpio/lb/Footprint.class" ]; then
  echo "footprint: not built ($target/bench-classpath.txt or test-classes/hpio/lb/Footprint.class missing): run 'make footprint'" >&2
  exit 1
fi
# The loops under test call libc (--enable-native-access). JOL reads field offsets
# through sun.misc.Unsafe, which JDK 24+ warns about unless allowed; with the
# attach flags JOL can also load its agent quietly instead of printing a warning.
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Djdk.attach.allowAttachSelf=true -XX:+EnableDynamicAgentLoading \
  -cp "$target/classes:$target/test-classes:$(cat "$target/bench-classpath.txt")" hpio.lb.Footprint "$@"
