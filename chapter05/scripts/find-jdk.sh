#!/usr/bin/env bash
# Prints the home of a JDK 25 or newer, or one line saying what to install (exit 1).
# Used by the Makefile, the high_perf_lb launcher and .ci/run, so they all pick the
# same JDK. The default `java` on the course machines is 17: it is never used.
set -u
MIN=25

feature_version() {  # $1 = a JDK home; prints its feature version (25, 26, ...) or nothing
  local home=$1 v=""
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  if [ -r "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "$v"
}

if [ -n "${JAVA_HOME:-}" ]; then
  v=$(feature_version "$JAVA_HOME")
  if [ -n "$v" ] && [ "$v" -ge "$MIN" ]; then echo "$JAVA_HOME"; exit 0; fi
fi

best="" bestv=0
for home in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
            /Library/Java/JavaVirtualMachines/*/Contents/Home \
            /opt/homebrew/opt/openjdk*/libexec/openjdk.jdk/Contents/Home \
            /usr/local/opt/openjdk*/libexec/openjdk.jdk/Contents/Home \
            "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
  [ -d "$home" ] || continue
  v=$(feature_version "$home")
  if [ -n "$v" ] && [ "$v" -ge "$MIN" ] && [ "$v" -gt "$bestv" ]; then best=$home bestv=$v; fi
done
if [ -n "$best" ]; then echo "$best"; exit 0; fi

echo "No JDK $MIN or newer found (JAVA_HOME='${JAVA_HOME:-}', /usr/lib/jvm, /Library/Java/JavaVirtualMachines, sdkman): install one (Debian/Ubuntu: apt-get install temurin-25-jdk; macOS: brew install --cask temurin@25) or set JAVA_HOME to it." >&2
exit 1
